const url = `https://api.telegram.org/bot${process.env.TELEGRAM_TOKEN}/sendMessage`;
