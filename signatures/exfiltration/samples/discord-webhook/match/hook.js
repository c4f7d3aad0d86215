const HOOK = 'https://discord.com/api/webhooks/368200844664208468/ggS84SCCcMUyCuISeWAAGy6OeEqu62Gi0CKwaEIqc8moww4K6QeImO4EsoGCuk4cIkG2';
