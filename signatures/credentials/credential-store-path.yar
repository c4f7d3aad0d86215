rule credential_store_path
{
  meta:
    id = "credential-store-path"
    severity = "low"
    kind = "capability"
    description = "Code names a credential store: SSH keys, cloud or registry credentials, browser password databases or crypto wallets"
    reference = ""
    author = "mcp-assay"
    version = 1
  strings:
    $ssh = /\.ssh[\/\\]{1,2}id_(rsa|dsa|ecdsa|ed25519)/
    $aws = /\.aws[\/\\]{1,2}credentials/
    $login_data = "Login Data" fullword
    $cookies = /(Chrome|Chromium|Edge|Brave-Browser)[\/\\]{1,2}User Data/
    $npmrc = ".npmrc" fullword
    $docker = /\.docker[\/\\]{1,2}config\.json/
    $kube = /\.kube[\/\\]{1,2}config\b/
    $wallet_dat = "wallet.dat" fullword
    $exodus = /exodus[\/\\]{1,2}exodus\.wallet/ nocase
    $electrum = /electrum[\/\\]{1,2}wallets/ nocase
    $metamask = "nkbihfbeogaeaoehlefnkodbefgpgknn"
    $keychain = /Library[\/\\]{1,2}Keychains/
    $gcloud = /\.config[\/\\]{1,2}gcloud[\/\\]{1,2}(credentials\.db|application_default_credentials\.json)/
  condition:
    any of them
}
