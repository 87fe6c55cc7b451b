/** Finds or creates launch templates by name, and deletes the cluster's unused ones. */
import {
  CreateLaunchTemplateCommand,
  DeleteLaunchTemplateCommand,
  DescribeLaunchTemplatesCommand,
  type EC2Client,
  type RequestLaunchTemplateData,
} from "@aws-sdk/client-ec2";
import { launchTemplateTags, managedByFilter, toTagList } from "../tags.ts";
import { templatesToDelete, type ExistingTemplate } from "./template.ts";

function errorName(err: unknown): string {
  return (err as { name?: string; Code?: string })?.name ?? "";
}

export class LaunchTemplateStore {
  private readonly known = new Set<string>();

  constructor(private readonly ec2: EC2Client, private readonly clusterName: string) {}

  async ensure(name: string, data: RequestLaunchTemplateData, nodeClassName: string): Promise<string> {
    if (this.known.has(name)) return name;
    const found = await this.ec2.send(new DescribeLaunchTemplatesCommand({ Filters: [{ Name: "launch-template-name", Values: [name] }] }));
    if (!(found.LaunchTemplates ?? []).some((t) => t.LaunchTemplateName === name)) {
      try {
        await this.ec2.send(new CreateLaunchTemplateCommand({
          LaunchTemplateName: name,
          LaunchTemplateData: data,
          TagSpecifications: [{ ResourceType: "launch-template", Tags: toTagList(launchTemplateTags(this.clusterName, nodeClassName)) }],
        }));
      } catch (err) {
        // Another function created it between our look and our create: same name means same content.
        if (!errorName(err).includes("AlreadyExists") && !String((err as Error).message).includes("already in use")) throw err;
      }
    }
    this.known.add(name);
    return name;
  }

  /** Forget a template (it was reported missing); the next launch looks it up again. */
  forget(name: string): void {
    this.known.delete(name);
  }

  async list(): Promise<ExistingTemplate[]> {
    const out: ExistingTemplate[] = [];
    let token: string | undefined;
    do {
      const page = await this.ec2.send(new DescribeLaunchTemplatesCommand({ Filters: [managedByFilter(this.clusterName)], NextToken: token }));
      for (const t of page.LaunchTemplates ?? []) {
        if (t.LaunchTemplateName) out.push({ name: t.LaunchTemplateName, createdAtMs: t.CreateTime?.getTime() ?? 0 });
      }
      token = page.NextToken;
    } while (token);
    return out;
  }

  /** Deletes this cluster's templates (those carrying Tenon's ownership tag) that are not in `inUse` and older than `graceMs`; returns their names. */
  async cleanup(inUse: ReadonlySet<string>, nowMs: number, graceMs: number): Promise<string[]> {
    const doomed = templatesToDelete(await this.list(), inUse, nowMs, graceMs);
    for (const name of doomed) {
      try {
        await this.ec2.send(new DeleteLaunchTemplateCommand({ LaunchTemplateName: name }));
      } catch (err) {
        if (!errorName(err).includes("NotFound")) throw err;
      }
      this.known.delete(name);
    }
    return doomed;
  }
}
