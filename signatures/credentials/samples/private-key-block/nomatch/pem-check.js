// Benign: refuses keys pasted into config
if (value.includes('-----BEGIN RSA PRIVATE KEY-----')) throw new Error('paste the key path, not the key');
const PLACEHOLDER = '-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----';
