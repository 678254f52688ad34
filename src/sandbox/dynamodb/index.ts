// The sandbox's DynamoDB service: createDynamoService(ctx, { dataDir }) -> JsonService.
export { createDynamoService, DEFAULT_TABLE_CREATING_MS, DYNAMODB_OPERATIONS, type DynamoServiceOptions } from './service.js';
