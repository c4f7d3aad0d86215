# sample (inert)
./worker -o stratum+tcp://pool.example.invalid:3333 -u WALLET -p x
