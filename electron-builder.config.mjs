// Packaging (README, Install): `npm run dist` builds the installers of the platform it runs on with
// `electron-builder --config electron-builder.config.mjs`. Everything the packaged app reads at run time
// comes from here — out/ (main + the three worker bundles, preloads, renderer), the production
// node_modules, resources/sample — never from the source tree (test/unit/dist-config.test.ts checks it).


/** Native binaries each platform keeps (the others' are left out of its package). */
const nativeFor = (webgpuDir, onnxDir) => [
  `node_modules/webgpu/dist/${webgpuDir}/**`,
  `node_modules/onnxruntime-node/bin/napi-v6/${onnxDir}/**`,
];

/**
 * The configuration for an environment: macOS signing and notarisation only where their variables are set.
 * @param {NodeJS.ProcessEnv} env
 * @returns {import('electron-builder').Configuration}
 */
export function builderConfig(env) {
  const hasSigningCertificate = Boolean(env.CSC_LINK || env.CSC_NAME);
  const canNotarize =
    Boolean(env.APPLE_API_KEY && env.APPLE_API_KEY_ID && env.APPLE_API_ISSUER) ||
    Boolean(env.APPLE_ID && env.APPLE_APP_SPECIFIC_PASSWORD && env.APPLE_TEAM_ID);
  return {
    appId: 'org.fairbound.app',
    productName: 'Fairbound',
    copyright: 'Fairbound contributors',
    directories: { output: 'dist', buildResources: 'resources' },
    icon: 'resources/icon.png',
    fileAssociations: [],
    files: [
      'package.json',
      'out/main/**',
      'out/preload/**',
      'out/renderer/**',
      '!out/**/*.map',
      // Dawn's and ONNX Runtime's prebuilt binaries ship per platform: each platform adds back its own below.
      '!node_modules/webgpu/dist/**',
      '!node_modules/onnxruntime-node/bin/**',
      '!node_modules/**/*.{md,map}',
    ],
    // The sample workspace's data, read by the main process (src-main/shell/main.ts: resourcesPath/sample).
    extraResources: [{ from: 'resources/sample', to: 'sample' }],
    asar: true,
    // Loaded by the OS or by WebAssembly from real files: native addons with their shared libraries, the
    // optional TensorFlow packages' libtensorflow, and the wasm backend's binaries.
    asarUnpack: [
      '**/*.node',
      'node_modules/better-sqlite3/**',
      'node_modules/webgpu/dist/**',
      'node_modules/onnxruntime-node/bin/**',
      'node_modules/@tensorflow/tfjs-node/**',
      'node_modules/@tensorflow/tfjs-node-gpu/**',
      'node_modules/@tensorflow/tfjs-backend-wasm/dist/*.wasm',
    ],
    // better-sqlite3 only, for Electron's ABI (scripts/rebuild-native-for-electron.mjs): the N-API addons
    // (dawn.node, onnxruntime, tfjs-node) are taken as built; a rebuild would download libtensorflow again.
    beforeBuild: 'scripts/rebuild-native-for-electron.mjs',
    // ...and puts the Node build back afterwards, for the CLI and the tests of this checkout.
    afterAllArtifactBuild: 'scripts/restore-native-for-node.mjs',
    npmRebuild: true,
    linux: {
      target: [
        { target: 'AppImage', arch: ['x64', 'arm64'] },
        { target: 'deb', arch: ['x64', 'arm64'] },
      ],
      category: 'Science',
      maintainer: 'Fairbound contributors <fairbound@users.noreply.github.com>',
      synopsis: 'Train and audit image classifiers under fairness constraints',
      files: nativeFor('linux-${arch}', 'linux/${arch}'),
    },
    deb: { depends: ['libgtk-3-0', 'libnss3', 'libxss1', 'libxtst6', 'xdg-utils', 'libatspi2.0-0', 'libuuid1', 'libsecret-1-0'] },
    mac: {
      target: [{ target: 'dmg', arch: ['arm64', 'x64'] }],
      category: 'public.app-category.developer-tools',
      hardenedRuntime: true,
      entitlements: 'resources/entitlements.mac.plist',
      entitlementsInherit: 'resources/entitlements.mac.plist',
      // CSC_LINK / CSC_KEY_PASSWORD sign; without them nothing is signed (never an identity from the keychain).
      identity: hasSigningCertificate ? undefined : null,
      // APPLE_API_KEY(+_ID, _ISSUER) or APPLE_ID(+APPLE_APP_SPECIFIC_PASSWORD, APPLE_TEAM_ID) notarise.
      notarize: hasSigningCertificate && canNotarize,
      files: nativeFor('darwin-universal', 'darwin/${arch}'),
    },
    dmg: { sign: false },
    win: {
      target: [{ target: 'nsis', arch: ['x64'] }],
      files: nativeFor('win32-${arch}', 'win32/${arch}'),
    },
    nsis: { oneClick: false, perMachine: false, allowToChangeInstallationDirectory: true },
    publish: null,
  };
}

export default builderConfig(process.env);
