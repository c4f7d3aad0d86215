rule credential_store_exfil
{
  meta:
    id = "credential-store-exfil"
    severity = "medium"
    kind = "threat"
    description = "Code names a credential store, reads files and sends data over the network in the same file: possible credential theft"
    reference = ""
    author = "mcp-assay"
    version = 1
  strings:
    $ssh = /\.ssh[\/\\]{1,2}id_(rsa|dsa|ecdsa|ed25519)/
    $aws = /\.aws[\/\\]{1,2}credentials/
    $login_data = "Login Data" fullword
    $docker = /\.docker[\/\\]{1,2}config\.json/
    $wallet_dat = "wallet.dat" fullword
    $exodus = /exodus[\/\\]{1,2}exodus\.wallet/ nocase
    $electrum = /electrum[\/\\]{1,2}wallets/ nocase
    $metamask = "nkbihfbeogaeaoehlefnkodbefgpgknn"
    $gcloud = /\.config[\/\\]{1,2}gcloud[\/\\]{1,2}(credentials\.db|application_default_credentials\.json)/
    $read1 = "readFileSync("
    $read2 = "readFile("
    $read3 = "createReadStream("
    $read4 = /with open\([^)\n]{1,120}\)/
    $read5 = "read_text("
    $send1 = /\bfetch\([^)\n]{0,16}https?:/
    $send2 = /axios\.(post|put)\(/
    $send3 = /https?\.request\(/
    $send4 = "new FormData("
    $send5 = /requests\.post\(/
    $send6 = "/api/webhooks/"
    $send7 = "api.telegram.org/bot"
    $send8 = /method:\s{0,4}['"]POST['"]/
  condition:
    any of ($ssh, $aws, $login_data, $docker, $wallet_dat, $exodus, $electrum, $metamask, $gcloud) and any of ($read*) and any of ($send*)
}
