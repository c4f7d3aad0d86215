// Benign: a local terminal tool over stdio, no network
const { spawn } = require('child_process');
const sh = spawn('/bin/sh', ['-c', command]);
process.stdin.pipe(sh.stdin);
sh.stdout.pipe(process.stdout);
