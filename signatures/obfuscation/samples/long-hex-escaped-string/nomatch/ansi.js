// Benign: short escapes for terminal colours
const RED = "\x1b[31m", RESET = "\x1b[0m", BOX = "\xe2\x94\x80\xe2\x94\x80";
