// Loads the addon; the loader looks for napi_register_module_v1 in the .node file.
module.exports = require('./build/Release/addon.node');
