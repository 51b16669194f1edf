/**
 * Invariants under test (electron-builder.config.mjs; `npm run dist` itself needs Electron's download,
 * impossible here, so the configuration is checked statically):
 * - it passes electron-builder's own schema validation;
 * - every file the packaged app reads at run time is packaged, read from out/ and never from the source
 *   tree: each path the shell resolves next to its bundle (preloads, renderer pages, the three worker
 *   bundles — the names electron.vite.config.ts gives them and jobs/worker-entry.ts looks for), the
 *   production node_modules with the wasm backend's binaries, and resources/sample as an extra resource
 *   where src-main/shell/main.ts looks for it; with out/ built, each of those files exists and no bundle
 *   names the checkout's folder;
 * - native binaries are asar-unpacked, and each platform packages only its own dawn.node and ONNX Runtime
 *   binaries; better-sqlite3 is rebuilt for Electron by the beforeBuild hook, not by a postinstall;
 * - the targets: AppImage + deb (x64, arm64), dmg (arm64, x64, hardened runtime; signing and notarisation
 *   only with their variables), NSIS (x64); app id, product name, icon, no file associations.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, matchesGlob, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { missing } from '../support/prerequisites';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const { builderConfig } = (await import(join(ROOT, 'electron-builder.config.mjs'))) as { builderConfig: (env: NodeJS.ProcessEnv) => BuilderConfig };

interface PlatformSection {
  readonly target: readonly { target: string; arch: readonly string[] }[];
  readonly files?: readonly string[];
  readonly [key: string]: unknown;
}
interface BuilderConfig {
  readonly appId: string;
  readonly productName: string;
  readonly icon: string;
  readonly fileAssociations: readonly unknown[];
  readonly files: readonly string[];
  readonly asarUnpack: readonly string[];
  readonly extraResources: readonly { from: string; to: string }[];
  readonly beforeBuild: string;
  readonly linux: PlatformSection;
  readonly mac: PlatformSection;
  readonly win: PlatformSection;
  readonly [key: string]: unknown;
}

const config = builderConfig({});
type Os = 'linux' | 'mac' | 'win';

/**
 * Whether the package for `os`/`arch` contains `path` (relative to the app folder): electron-builder's
 * rule, the last matching pattern of the global then the platform's `files` decides; production
 * node_modules are in unless a pattern excludes them.
 */
function packaged(path: string, os: Os, arch: string): boolean {
  const patterns = [...config.files, ...(config[os].files ?? [])].map((p) => p.replaceAll('${arch}', arch));
  let included = path.startsWith('node_modules/');
  for (const pattern of patterns) {
    const negated = pattern.startsWith('!');
    if (matchesGlob(path, negated ? pattern.slice(1) : pattern)) included = !negated;
  }
  return included;
}

const unpacked = (path: string): boolean => config.asarUnpack.some((pattern) => matchesGlob(path, pattern));

/** Every file the shell loads next to its bundle (out/main): `join(import.meta.dirname | bundleDir, '…')`. */
function shellRuntimePaths(): string[] {
  const dir = join(ROOT, 'src-main/shell');
  const paths = new Set<string>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
    for (const match of readFileSync(join(dir, file), 'utf8').matchAll(/join\((?:import\.meta\.dirname|bundleDir), '([^']+)'\)/g)) {
      paths.add(posix.normalize(posix.join('out/main', match[1]!)));
    }
  }
  return [...paths].sort();
}

const PLATFORMS: readonly [Os, string][] = [['linux', 'x64'], ['linux', 'arm64'], ['mac', 'arm64'], ['mac', 'x64'], ['win', 'x64']];

describe('electron-builder configuration', () => {
  it("passes electron-builder's schema validation", async () => {
    const builderRequire = createRequire(createRequire(join(ROOT, 'package.json')).resolve('electron-builder'));
    const { validateConfiguration } = builderRequire('app-builder-lib/out/util/config/config') as { validateConfiguration: (c: unknown, l: unknown) => Promise<void> };
    const { DebugLogger } = builderRequire('builder-util') as { DebugLogger: new (enabled: boolean) => unknown };
    await expect(validateConfiguration(config, new DebugLogger(false))).resolves.toBeUndefined();
    await expect(validateConfiguration({ ...config, linux: { ...config.linux, nonsense: true } }, new DebugLogger(false))).rejects.toThrow(/configuration\.linux/);
  });

  it('packages every file the shell resolves at run time, from out/ only', () => {
    const paths = shellRuntimePaths();
    expect(paths).toEqual(expect.arrayContaining([
      'out/main/import-worker.mjs', 'out/main/train-worker.mjs', 'out/main/trial-worker.mjs',
      'out/preload/index.cjs', 'out/renderer/index.html',
    ]));
    // The worker bundles are the ones electron-vite builds and the worker resolver looks for.
    const viteConfig = readFileSync(join(ROOT, 'electron.vite.config.ts'), 'utf8');
    const workerEntry = readFileSync(join(ROOT, 'src-main/jobs/worker-entry.ts'), 'utf8');
    for (const worker of ['train-worker', 'trial-worker', 'import-worker']) {
      expect(viteConfig).toContain(`'${worker}': resolve(`);
      expect(workerEntry).toContain(`'${worker}.mjs'`);
    }
    const main = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).main as string;
    for (const [os, arch] of PLATFORMS) {
      for (const path of [...paths, main, 'package.json', 'out/renderer/assets/index-abc.js', 'node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm', 'node_modules/better-sqlite3/build/Release/better_sqlite3.node']) {
        expect(packaged(path, os, arch), `${path} on ${os}-${arch}`).toBe(true);
      }
      for (const source of ['src-main/shell/main.ts', 'src-renderer/index.html', 'src-shared/contract/routes.ts', 'test/e2e/smoke-steps.ts', 'out/main/index.js.map', 'bench/audit.ts', 'resources/sample/sample.json']) {
        expect(packaged(source, os, arch), `${source} on ${os}-${arch}`).toBe(false);
      }
    }
  });

  it('ships resources/sample as an extra resource where the packaged shell reads it', () => {
    expect(config.extraResources).toContainEqual({ from: 'resources/sample', to: 'sample' });
    const manifest = JSON.parse(readFileSync(join(ROOT, 'resources/sample/sample.json'), 'utf8')) as { images: string; labels: string };
    for (const file of ['sample.json', manifest.images, manifest.labels, 'LICENSE-fashion-mnist.txt']) expect(existsSync(join(ROOT, 'resources/sample', file)), file).toBe(true);
    expect(readFileSync(join(ROOT, 'src-main/shell/main.ts'), 'utf8')).toContain("join(process.resourcesPath, 'sample')");
  });

  it("asar-unpacks native binaries and packages only the target platform's dawn.node and ONNX Runtime", () => {
    for (const path of [
      'node_modules/better-sqlite3/build/Release/better_sqlite3.node',
      'node_modules/webgpu/dist/linux-x64/dawn.node',
      'node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1',
      'node_modules/@tensorflow/tfjs-node/lib/napi-v8/tfjs_binding.node',
      'node_modules/@tensorflow/tfjs-node/deps/lib/libtensorflow.so.2',
      'node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm',
    ]) expect(unpacked(path), path).toBe(true);
    const webgpuDirs = readdirSync(join(ROOT, 'node_modules/webgpu/dist'));
    const own: Record<string, string> = { 'linux-x64': 'linux-x64', 'linux-arm64': 'linux-arm64', 'mac-arm64': 'darwin-universal', 'mac-x64': 'darwin-universal', 'win-x64': 'win32-x64' };
    for (const [os, arch] of PLATFORMS) {
      const kept = webgpuDirs.filter((d) => packaged(`node_modules/webgpu/dist/${d}/dawn.node`, os, arch));
      expect(kept, `${os}-${arch}`).toEqual([own[`${os}-${arch}`]]);
      const onnx = (['darwin', 'linux', 'win32'] as const).flatMap((p) => ['x64', 'arm64'].map((a) => `${p}/${a}`)).filter((d) => packaged(`node_modules/onnxruntime-node/bin/napi-v6/${d}/onnxruntime_binding.node`, os, arch));
      expect(onnx, `${os}-${arch}`).toEqual([`${{ linux: 'linux', mac: 'darwin', win: 'win32' }[os]}/${arch}`]);
    }
    // The package's own loaders resolve exactly these folders.
    expect(readFileSync(join(ROOT, 'node_modules/webgpu/index.js'), 'utf8')).toContain("join(__dirname, 'dist', `${process.platform}-${arch}`, 'dawn.node')");
  });

  it('rebuilds better-sqlite3 for Electron at packaging time only, never on install', async () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    for (const hook of ['postinstall', 'install', 'preinstall']) expect(pkg.scripts[hook], hook).toBeUndefined();
    expect(pkg.scripts.prepare).not.toMatch(/electron-builder|install-app-deps|rebuild/);
    expect(pkg.scripts.dist).toBe('npm run build:app && electron-builder --config electron-builder.config.mjs --publish never');
    expect(config.beforeBuild).toBe('scripts/rebuild-native-for-electron.mjs');
    const hook = readFileSync(join(ROOT, config.beforeBuild), 'utf8');
    expect(hook).toContain("onlyModules: ['better-sqlite3']");
    expect(hook).toMatch(/return false;/); // electron-builder's rebuild of every native dependency is skipped
    expect(config.afterAllArtifactBuild).toBe('scripts/restore-native-for-node.mjs');
    expect(existsSync(join(ROOT, config.afterAllArtifactBuild as string))).toBe(true);
  });

  it('builds the installers of each platform, signing and notarising macOS only with their variables', () => {
    expect(config).toMatchObject({ appId: 'org.fairbound.app', productName: 'Fairbound', icon: 'resources/icon.png', fileAssociations: [] });
    expect(existsSync(join(ROOT, config.icon))).toBe(true);
    expect(config.linux.target).toEqual([{ target: 'AppImage', arch: ['x64', 'arm64'] }, { target: 'deb', arch: ['x64', 'arm64'] }]);
    expect(config.mac.target).toEqual([{ target: 'dmg', arch: ['arm64', 'x64'] }]);
    expect(config.win.target).toEqual([{ target: 'nsis', arch: ['x64'] }]);
    expect(config.mac).toMatchObject({ hardenedRuntime: true, identity: null, notarize: false });
    expect(existsSync(join(ROOT, config.mac.entitlements as string))).toBe(true);
    const signed = builderConfig({ CSC_LINK: 'cert.p12', APPLE_API_KEY: 'k.p8', APPLE_API_KEY_ID: 'id', APPLE_API_ISSUER: 'issuer' });
    expect(signed.mac.identity).toBeUndefined();
    expect(signed.mac.notarize).toBe(true);
    expect(builderConfig({ CSC_LINK: 'cert.p12' }).mac.notarize).toBe(false);
  });
});

describe.skipIf(missing('the built app bundles (npm run build:app)', existsSync(join(ROOT, 'out/main/index.js'))))('the built bundles', () => {
  it('hold every file the shell resolves, and no path into the checkout', () => {
    for (const path of shellRuntimePaths()) expect(existsSync(join(ROOT, path)), path).toBe(true);
    for (const file of readdirSync(join(ROOT, 'out/main'))) {
      if (!/\.(m?js|cjs)$/.test(file)) continue;
      const text = readFileSync(join(ROOT, 'out/main', file), 'utf8');
      expect(text.includes(ROOT), `out/main/${file} names ${ROOT}`).toBe(false);
    }
  });
});
