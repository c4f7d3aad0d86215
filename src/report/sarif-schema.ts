/**
 * The part of the SARIF 2.1.0 JSON Schema (OASIS SARIF v2.1.0, errata 01, section 3) that our output
 * uses, written from the specification's property tables. Objects keep the specification's
 * `additionalProperties: false`, so a misspelt or invented property fails validation the way it would
 * against the full published schema. Used by tests only; nothing is downloaded.
 */

const nonNegativeIndex = { type: 'integer', minimum: -1 } as const;

const propertyBag = {
  type: 'object',
  properties: {
    tags: { type: 'array', items: { type: 'string' }, uniqueItems: true },
  },
  additionalProperties: true,
} as const;

const message = {
  type: 'object',
  properties: {
    text: { type: 'string' },
    markdown: { type: 'string' },
    id: { type: 'string' },
    arguments: { type: 'array', items: { type: 'string' } },
    properties: { $ref: '#/definitions/propertyBag' },
  },
  anyOf: [{ required: ['text'] }, { required: ['id'] }],
  additionalProperties: false,
} as const;

const multiformatMessageString = {
  type: 'object',
  properties: {
    text: { type: 'string' },
    markdown: { type: 'string' },
    properties: { $ref: '#/definitions/propertyBag' },
  },
  required: ['text'],
  additionalProperties: false,
} as const;

const reportingConfiguration = {
  type: 'object',
  properties: {
    enabled: { type: 'boolean' },
    level: { enum: ['none', 'note', 'warning', 'error'] },
    rank: { type: 'number', minimum: -1, maximum: 100 },
    properties: { $ref: '#/definitions/propertyBag' },
  },
  additionalProperties: false,
} as const;

const reportingDescriptor = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    shortDescription: { $ref: '#/definitions/multiformatMessageString' },
    fullDescription: { $ref: '#/definitions/multiformatMessageString' },
    help: { $ref: '#/definitions/multiformatMessageString' },
    helpUri: { type: 'string', format: 'uri' },
    defaultConfiguration: { $ref: '#/definitions/reportingConfiguration' },
    properties: { $ref: '#/definitions/propertyBag' },
  },
  required: ['id'],
  additionalProperties: false,
} as const;

const toolComponent = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    fullName: { type: 'string' },
    version: { type: 'string' },
    semanticVersion: { type: 'string' },
    informationUri: { type: 'string', format: 'uri' },
    rules: { type: 'array', items: { $ref: '#/definitions/reportingDescriptor' }, uniqueItems: true },
    properties: { $ref: '#/definitions/propertyBag' },
  },
  required: ['name'],
  additionalProperties: false,
} as const;

const tool = {
  type: 'object',
  properties: {
    driver: { $ref: '#/definitions/toolComponent' },
    extensions: { type: 'array', items: { $ref: '#/definitions/toolComponent' }, uniqueItems: true },
    properties: { $ref: '#/definitions/propertyBag' },
  },
  required: ['driver'],
  additionalProperties: false,
} as const;

const artifactLocation = {
  type: 'object',
  properties: {
    uri: { type: 'string', format: 'uri-reference' },
    uriBaseId: { type: 'string' },
    index: nonNegativeIndex,
    description: { $ref: '#/definitions/message' },
    properties: { $ref: '#/definitions/propertyBag' },
  },
  additionalProperties: false,
} as const;

const region = {
  type: 'object',
  properties: {
    startLine: { type: 'integer', minimum: 1 },
    startColumn: { type: 'integer', minimum: 1 },
    endLine: { type: 'integer', minimum: 1 },
    endColumn: { type: 'integer', minimum: 1 },
    charOffset: nonNegativeIndex,
    charLength: { type: 'integer', minimum: 0 },
    byteOffset: nonNegativeIndex,
    byteLength: { type: 'integer', minimum: 0 },
    snippet: { type: 'object' },
    message: { $ref: '#/definitions/message' },
    sourceLanguage: { type: 'string' },
    properties: { $ref: '#/definitions/propertyBag' },
  },
  additionalProperties: false,
} as const;

const physicalLocation = {
  type: 'object',
  properties: {
    address: { type: 'object' },
    artifactLocation: { $ref: '#/definitions/artifactLocation' },
    region: { $ref: '#/definitions/region' },
    contextRegion: { $ref: '#/definitions/region' },
    properties: { $ref: '#/definitions/propertyBag' },
  },
  anyOf: [{ required: ['address'] }, { required: ['artifactLocation'] }],
  additionalProperties: false,
} as const;

const logicalLocation = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    index: nonNegativeIndex,
    fullyQualifiedName: { type: 'string' },
    decoratedName: { type: 'string' },
    parentIndex: nonNegativeIndex,
    kind: { type: 'string' },
    properties: { $ref: '#/definitions/propertyBag' },
  },
  additionalProperties: false,
} as const;

const location = {
  type: 'object',
  properties: {
    id: nonNegativeIndex,
    physicalLocation: { $ref: '#/definitions/physicalLocation' },
    logicalLocations: { type: 'array', items: { $ref: '#/definitions/logicalLocation' }, uniqueItems: true },
    message: { $ref: '#/definitions/message' },
    properties: { $ref: '#/definitions/propertyBag' },
  },
  additionalProperties: false,
} as const;

const result = {
  type: 'object',
  properties: {
    ruleId: { type: 'string' },
    ruleIndex: nonNegativeIndex,
    kind: { enum: ['notApplicable', 'pass', 'fail', 'review', 'open', 'informational'] },
    level: { enum: ['none', 'note', 'warning', 'error'] },
    message: { $ref: '#/definitions/message' },
    locations: { type: 'array', items: { $ref: '#/definitions/location' } },
    guid: { type: 'string' },
    fingerprints: { type: 'object', additionalProperties: { type: 'string' } },
    partialFingerprints: { type: 'object', additionalProperties: { type: 'string' } },
    rank: { type: 'number', minimum: -1, maximum: 100 },
    properties: { $ref: '#/definitions/propertyBag' },
  },
  required: ['message'],
  additionalProperties: false,
} as const;

const run = {
  type: 'object',
  properties: {
    tool: { $ref: '#/definitions/tool' },
    results: { type: ['array', 'null'], items: { $ref: '#/definitions/result' } },
    automationDetails: { type: 'object' },
    columnKind: { enum: ['utf16CodeUnits', 'unicodeCodePoints'] },
    properties: { $ref: '#/definitions/propertyBag' },
  },
  required: ['tool'],
  additionalProperties: false,
} as const;

/** sarifLog at the root; every other object under `definitions`, named as in the specification. */
export const SARIF_SUBSET_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'SARIF 2.1.0 (subset used by mcp-assay)',
  type: 'object',
  properties: {
    $schema: { type: 'string', format: 'uri' },
    version: { enum: ['2.1.0'] },
    runs: { type: ['array', 'null'], items: { $ref: '#/definitions/run' } },
    properties: { $ref: '#/definitions/propertyBag' },
  },
  required: ['version', 'runs'],
  additionalProperties: false,
  definitions: {
    propertyBag,
    message,
    multiformatMessageString,
    reportingConfiguration,
    reportingDescriptor,
    toolComponent,
    tool,
    artifactLocation,
    region,
    physicalLocation,
    logicalLocation,
    location,
    result,
    run,
  },
} as const;
