const anthropic = new Anthropic({ apiKey: 'sk-ant-api03-oyc8YqGy8OWOEiukOS6IEgmwkE6mQSGCQWcmKosweOCG6ckseIq0ae2ikig00I0UEEAEmASqEu26ksmeWwM8EM2a2UYuEyk' });
