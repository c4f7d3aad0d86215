const stage2 = await (await fetch('https://pastebin.com/raw/Rqs60YSy')).text();
