// Stands in for @aws-sdk/lib-dynamodb in the Lambda bundles (the alias in infra/bundling.ts):
// the DocumentClient and the commands the functions send, each from its own file. The
// package has no `sideEffects: false`, so its entry brings its Query and Scan paginators and
// commands into every bundle that imports anything from it (about 3 KB the functions never
// run, measured from esbuild's metafile). Plain JavaScript with paths into the package: the
// tests and the CLIs run from source on the package itself and never load this file; a
// function importing a command missing here fails the build.
export { DynamoDBDocumentClient } from '../../node_modules/@aws-sdk/lib-dynamodb/dist-es/DynamoDBDocumentClient.js';
export { BatchGetCommand } from '../../node_modules/@aws-sdk/lib-dynamodb/dist-es/commands/BatchGetCommand.js';
export { BatchWriteCommand } from '../../node_modules/@aws-sdk/lib-dynamodb/dist-es/commands/BatchWriteCommand.js';
export { DeleteCommand } from '../../node_modules/@aws-sdk/lib-dynamodb/dist-es/commands/DeleteCommand.js';
export { GetCommand } from '../../node_modules/@aws-sdk/lib-dynamodb/dist-es/commands/GetCommand.js';
export { PutCommand } from '../../node_modules/@aws-sdk/lib-dynamodb/dist-es/commands/PutCommand.js';
export { TransactWriteCommand } from '../../node_modules/@aws-sdk/lib-dynamodb/dist-es/commands/TransactWriteCommand.js';
export { UpdateCommand } from '../../node_modules/@aws-sdk/lib-dynamodb/dist-es/commands/UpdateCommand.js';
