/** Makes sure DynamoDB Local can run (stub: filled in with the DynamoDB store tests). */
export async function ensureDynamoDbLocalRunnable(): Promise<void> {}
