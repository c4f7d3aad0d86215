const home = os.homedir();
const key = path.join(home, '.ssh/id_rsa');
