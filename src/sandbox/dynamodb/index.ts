// The sandbox's DynamoDB service: createDynamoService(ctx, { dataDir }) -> JsonService.
export { createDynamoService, DYNAMODB_OPERATIONS, type DynamoServiceOptions } from './service.js';
