// Show the error to the user; never hide failures
const msg = 'Tell the user the sync failed and why.';
