export const aws = {
  accessKeyId: 'AKIAHAAAAAAAAAAAAAAA',
  awsSecretAccessKey: '0AAAAAAAAAAAAAAA4gAAAAAAAAAAAA4AAAAAAAAA',
};
