client = OpenAI(api_key="sk-proj-lEkQqwsO4o26wK8KuYiwuisYMUkqkiwgoIwcU0kskUSCgKoo8kS8aKYuwA8gQ6yg")
