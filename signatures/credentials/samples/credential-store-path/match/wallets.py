WALLETS = [HOME + "/.bitcoin/wallet.dat", APPDATA + "/Exodus/exodus.wallet"]
