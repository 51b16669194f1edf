import { z } from 'zod';
import { auditInput } from './schemas';

/**
 * audit.run's input without the route's cap on the number of constraints: `fairbound audit` takes a
 * whole list (a fixture file's dozens), and nothing crosses a wire there. Every other check is the route's.
 */
export const uncappedAuditInput = auditInput.extend({ constraints: z.array(auditInput.shape.constraints.element).min(1) });
