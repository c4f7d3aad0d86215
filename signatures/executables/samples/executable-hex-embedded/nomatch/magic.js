// Benign: compares the first four bytes as hex
export const isElf = (buf) => buf.subarray(0, 4).toString('hex') === '7f454c46';
export const isPe = (buf) => buf.subarray(0, 2).toString('hex') === '4d5a';
