// S3's buckets and objects. Metadata lives in the sandbox state (section "s3"); object bytes
// live in files under <state-dir>/s3/, one per object version the metadata points at. A write
// lands its file first (temp + rename) and then switches the metadata, so a crash at any point
// leaves the acknowledged object readable; files nothing points at any more are removed after
// the switch (an interrupted removal only leaves an unreferenced file).
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SandboxContext } from '../contract.js';

export interface ObjectMeta {
  size: number;
  /** Quoted MD5 of the bytes, as S3 writes ETags for single-part uploads. */
  etag: string;
  lastModified: number;
  contentType: string;
  metadata: Record<string, string>;
  /** File name under the data dir. */
  file: string;
}

export interface BucketMeta {
  createdAt: number;
  region: string;
  objects: Record<string, ObjectMeta>;
}

interface S3Section {
  buckets: Record<string, BucketMeta>;
}

export class S3Store {
  private readonly section: S3Section;

  constructor(
    private readonly ctx: SandboxContext,
    private readonly dataDir: string,
  ) {
    this.section = ctx.section<S3Section>('s3', () => ({ buckets: {} }));
    mkdirSync(dataDir, { recursive: true });
  }

  bucket(name: string): BucketMeta | undefined {
    return Object.hasOwn(this.section.buckets, name) ? this.section.buckets[name] : undefined;
  }

  bucketNames(): string[] {
    return Object.keys(this.section.buckets).sort();
  }

  createBucket(name: string, region: string): void {
    this.section.buckets[name] = { createdAt: this.ctx.now(), region, objects: {} };
    this.ctx.save();
  }

  deleteBucket(name: string): void {
    delete this.section.buckets[name];
    this.ctx.save();
  }

  object(bucket: BucketMeta, key: string): ObjectMeta | undefined {
    return Object.hasOwn(bucket.objects, key) ? bucket.objects[key] : undefined;
  }

  /** Object bytes, or undefined when the file is gone (treated as no such key). */
  read(meta: ObjectMeta): Buffer | undefined {
    try {
      return readFileSync(join(this.dataDir, meta.file));
    } catch {
      return undefined;
    }
  }

  put(bucket: BucketMeta, key: string, body: Buffer, contentType: string, metadata: Record<string, string>): ObjectMeta {
    const file = `${createHash('sha256').update(key).digest('hex').slice(0, 16)}-${randomBytes(8).toString('hex')}`;
    const path = join(this.dataDir, file);
    writeFileSync(`${path}.tmp`, body);
    renameSync(`${path}.tmp`, path);
    const previous = this.object(bucket, key);
    const meta: ObjectMeta = {
      size: body.length,
      etag: `"${createHash('md5').update(body).digest('hex')}"`,
      lastModified: this.ctx.now(),
      contentType,
      metadata,
      file,
    };
    bucket.objects[key] = meta;
    this.ctx.save();
    if (previous) this.removeFileLater(previous.file);
    return meta;
  }

  delete(bucket: BucketMeta, key: string): void {
    const previous = this.object(bucket, key);
    if (!previous) return;
    delete bucket.objects[key];
    this.ctx.save();
    this.removeFileLater(previous.file);
  }

  /** Removes a file once the metadata that stopped pointing at it has been written (the save is batched per request). */
  private removeFileLater(file: string): void {
    setImmediate(() => rmSync(join(this.dataDir, file), { force: true }));
  }
}
