import { z } from 'zod';

export const TARGET_KINDS = ['npm', 'git', 'dir', 'tarball'] as const;
export const TargetKindSchema = z.enum(TARGET_KINDS);
export type TargetKind = z.infer<typeof TargetKindSchema>;

/** What to look at. `spec` is what the user (or a source) gave, normalised; name/version when known. */
export const TargetSchema = z.object({
  kind: TargetKindSchema,
  spec: z.string().min(1),
  name: z.string().min(1).optional(),
  version: z.string().min(1).optional(),
});
export type Target = z.infer<typeof TargetSchema>;
