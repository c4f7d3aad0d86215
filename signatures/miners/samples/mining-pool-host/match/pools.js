const POOLS = ['gulf.moneroocean.stream:10128', 'xmr-eu1.nanopool.org:14433'];
