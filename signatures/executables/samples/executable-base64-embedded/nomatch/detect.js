// Benign: file-type sniffing on base64 input
export const looksLikeElf = (b64) => b64.startsWith('f0VMRg');
export const looksLikePe = (b64) => b64.startsWith('TVq');
