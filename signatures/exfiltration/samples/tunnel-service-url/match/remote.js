const BASE = 'https://7c1e-203-0-113-9.ngrok-free.app';
