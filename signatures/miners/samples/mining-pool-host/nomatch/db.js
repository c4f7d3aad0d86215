// connection pool for the database; see docs at pool.example.invalid
const pool = new Pool({ max: 10 });
