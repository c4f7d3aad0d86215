const v = process.env.npm_package_version;
const ua = process.env.npm_config_user_agent;
const t = process.env.NPM_TOKEN; // e.g. npm_XXXXXXXX
