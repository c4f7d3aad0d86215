// sample: reconstruction of a dropper that writes an embedded binary (inert)
const blob = "f0VMRgIBAQAAAAAAAAAAAAMAPgABAAAAGkUA88g8GI48i2GIyaMYu86CkaQUO0iWkC6ggkkC";
require('fs').writeFileSync('/tmp/.x', Buffer.from(blob, 'base64'));
