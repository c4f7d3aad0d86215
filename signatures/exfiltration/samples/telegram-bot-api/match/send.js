fetch('https://api.telegram.org/bot2006602080:AAVUwe6IMs48ECuQ0GcI0sw4WUsykaEMASa/sendDocument', { method: 'POST', body: form });
