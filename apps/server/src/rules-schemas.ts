import type { JsonSchema } from './json-schema.js';

const listSizes: JsonSchema = {
  type: 'object',
  required: ['cards', 'terminals', 'mccs', 'countries'],
  properties: { cards: { type: 'integer' }, terminals: { type: 'integer' }, mccs: { type: 'integer' }, countries: { type: 'integer' } },
};

/** `GET /api/rules` and a good `PUT /api/rules`'s answer. */
export const RulesStateSchema: JsonSchema = {
  type: 'object',
  required: ['generation', 'version', 'origin', 'text', 'rules', 'allow', 'block', 'allowHits', 'blockHits'],
  properties: {
    generation: { type: 'integer', description: 'the scorer generation in force; decisions carry the generation that made them' },
    version: { type: 'string', description: 'the version label decisions of this generation carry (modelVersion)' },
    origin: { type: 'string', enum: ['api', 'file', 'bundle', 'none'], description: 'what set the live text' },
    text: { type: 'string', description: 'the live rules text' },
    rules: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'action', 'source', 'hits'],
        properties: {
          name: { type: 'string' },
          action: { type: 'string', enum: ['flag', 'review', 'decline'] },
          source: { type: 'string' },
          hits: { type: 'integer', description: 'transactions it fired on since its set went live' },
        },
      },
    },
    allow: listSizes,
    block: listSizes,
    allowHits: { type: 'integer' },
    blockHits: { type: 'integer' },
    file: { type: 'object', description: 'the watched rules file (path, loads, error), when one is configured' },
  },
};

/** `GET /api/bundle` and a good `PUT /api/bundle`'s answer. */
export const BundleStateSchema: JsonSchema = {
  type: 'object',
  required: ['generation', 'version', 'bundle', 'rulesOrigin'],
  properties: {
    generation: { type: 'integer' },
    version: { type: 'string', description: 'the version label decisions of this generation carry (modelVersion)' },
    bundle: {
      type: ['object', 'null'],
      description: 'the live bundle, null when none was loaded',
      properties: {
        generation: { type: 'integer' },
        version: { type: 'string', description: 'name@ + 12 hex digits of the hash' },
        name: { type: 'string' },
        hash: { type: 'string', description: 'sha256: + 64 hex digits' },
        featureSet: { type: 'string' },
        trees: { type: 'integer' },
        review: { type: 'number' },
        decline: { type: 'number' },
        rules: { type: 'array', items: { type: 'string' } },
      },
    },
    rulesOrigin: { type: 'string', enum: ['api', 'file', 'bundle', 'none'], description: "bundle unless rules were set after it (they replace the bundle's rules and lists)" },
  },
};
