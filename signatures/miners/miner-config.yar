rule miner_config
{
  meta:
    id = "miner-config"
    severity = "high"
    kind = "threat"
    description = "Cryptominer binary name together with miner configuration keys (donate-level, randomx, pool user/pass): an embedded XMRig or cpuminer"
    reference = "https://xmrig.com/docs/miner/config"
    author = "mcp-assay"
    version = 1
  strings:
    $xmrig = "xmrig" nocase
    $cpuminer = "cpuminer" nocase
    $minerd = "minerd" fullword
    $donate = /["'-]donate-level["'=: ]/
    $randomx = /["']?randomx["']?\s{0,4}:\s{0,4}\{/ nocase
    $algo = /(--algo[= ]|"algo"\s{0,4}:\s{0,4}")(rx\/0|cn\/r|rx\/wow|cryptonight|kawpow|ghostrider)/ nocase
    $pools = /"pools"\s{0,4}:\s{0,4}\[/
    $wallet_arg = /(-u|--user)[ =]4[0-9AB][1-9A-HJ-NP-Za-km-z]{93}/
  condition:
    any of ($xmrig, $cpuminer, $minerd) and 2 of ($donate, $randomx, $algo, $pools, $wallet_arg)
}
