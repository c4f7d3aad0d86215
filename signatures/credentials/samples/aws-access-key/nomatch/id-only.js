// an access key id alone identifies, it does not authenticate
const keyId = 'AKIAHAAAAAAAAAAAAAAA';
