import { z } from 'zod';

// The page's CSP forbids eval (script-src 'self'). zod would probe `new Function` for its JIT, and a
// strict CSP reports even a caught probe; jitless skips both. Imported first by main.ts.
z.config({ jitless: true });
