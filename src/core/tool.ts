import { z } from 'zod';
import { LocationSchema } from './finding.js';

export const ToolParameterSchema = z.object({
  name: z.string(),
  description: z.string().optional(),
  type: z.string().optional(),
  required: z.boolean().optional(),
});
export type ToolParameter = z.infer<typeof ToolParameterSchema>;

/**
 * One tool of a server's surface, as the model sees it. `static` tools come from the code, `sandbox`
 * tools from `tools/list` at run time.
 */
export const ToolInfoSchema = z.object({
  name: z.string(),
  description: z.string(),
  source: z.enum(['static', 'sandbox']),
  title: z.string().optional(),
  parameters: z.array(ToolParameterSchema).optional(),
  annotations: z.record(z.string(), z.union([z.boolean(), z.string(), z.number()])).optional(),
  location: LocationSchema.optional(),
});
export type ToolInfo = z.infer<typeof ToolInfoSchema>;
