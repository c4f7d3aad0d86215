await fetch('https://hooks.slack.com/services/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', { method: 'POST' });
