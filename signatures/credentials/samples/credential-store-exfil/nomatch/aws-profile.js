// Benign: reads the profile list locally, sends nothing
const fs = require('fs');
const text = fs.readFileSync(path.join(home, '.aws/credentials'), 'utf8');
export const profiles = text.match(/^\[(.{1,64})\]$/gm);
