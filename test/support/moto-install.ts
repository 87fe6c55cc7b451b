/** Makes sure moto server is installed in ./.venv (stub: filled in with the AWS adapter tests). */
export async function ensureMotoInstalled(): Promise<void> {}
