//! The loopback S3 server of `scripts/bench/s3.sh -S bench`: s3s-fs (the server the test
//! suite runs, used here as a library) with three of its behaviours changed, all measured and
//! each a thing a production object store (MinIO, Ceph RGW, AWS) does differently:
//!
//! - **GetObject streams in 1 MiB reads.** s3s-fs reads an object 4 KiB at a time, each
//!   read a trip through tokio's blocking pool: about 1.6 s of server CPU per GiB served,
//!   more than a whole cnxbackup restore of that GiB from a local repository, so on a
//!   2-core machine every client's S3 restore measured the server, not the client.
//! - **An empty `delimiter=` means no delimiter**, as on AWS. s3s-fs takes it as the
//!   delimiter "" and returns no keys; minio-go (restic) always sends `delimiter=` when it
//!   lists recursively, so restic found none of its packs and refused to prune.
//!
//! - **TCP_NODELAY on every connection**, as Go's net package (MinIO) sets by default.
//!   s3s-fs's server leaves Nagle's algorithm on: the end of a response waits for the
//!   client's delayed ACK, ~40 ms per request that nothing else overlaps (a prune's
//!   pack-by-pack repack took 44 ms per 1.6 MiB read).
//!
//! Everything else (PUT, HEAD, list, delete, multipart, authentication) is s3s-fs's own.
//!
//! Usage: `s3-bench-server ADDR:PORT ROOT`, with the credentials in
//! `BENCH_S3_ACCESS_KEY` and `BENCH_S3_SECRET_KEY` (not argv: other users see argv).
//! Buckets are directories of ROOT.

use std::path::{Component, Path, PathBuf};

use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder as ConnBuilder;
use s3s::auth::SimpleAuth;
use s3s::dto::*;
use s3s::service::S3ServiceBuilder;
use s3s::{s3_error, S3Request, S3Response, S3Result, S3};
use s3s_fs::FileSystem;
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tokio::net::TcpListener;
use tokio_util::io::ReaderStream;

/// Bytes per read of an object's body.
const READ_SIZE: usize = 1 << 20;

struct BenchServer {
    fs: FileSystem,
    root: PathBuf,
}

/// Where s3s-fs keeps `bucket/key` (it refuses keys that leave the root; so do we).
fn object_path(root: &Path, bucket: &str, key: &str) -> S3Result<PathBuf> {
    let rel = Path::new(bucket).join(key);
    if rel.components().any(|c| !matches!(c, Component::Normal(_))) {
        return Err(s3_error!(InvalidArgument, "key leaves the bucket"));
    }
    Ok(root.join(rel))
}

/// First byte of the body: from `Content-Range: bytes FIRST-LAST/TOTAL`, 0 without a range;
/// `None` for a range it cannot read.
fn body_start(out: &GetObjectOutput) -> Option<u64> {
    match out.content_range.as_deref() {
        None => Some(0),
        Some(range) => range
            .strip_prefix("bytes ")
            .and_then(|r| r.split_once('-'))
            .and_then(|(first, _)| first.parse().ok()),
    }
}

#[async_trait::async_trait]
impl S3 for BenchServer {
    async fn get_object(
        &self,
        req: S3Request<GetObjectInput>,
    ) -> S3Result<S3Response<GetObjectOutput>> {
        let path = object_path(&self.root, &req.input.bucket, &req.input.key)?;
        // s3s-fs answers the request (headers, ETag, range checks, errors); only its body,
        // not yet read, is replaced
        let mut resp = self.fs.get_object(req).await?;
        let start = body_start(&resp.output)
            .ok_or_else(|| s3_error!(InternalError, "unreadable Content-Range"))?;
        let len = resp
            .output
            .content_length
            .and_then(|l| u64::try_from(l).ok())
            .ok_or_else(|| s3_error!(InternalError, "no Content-Length"))?;
        let mut file = tokio::fs::File::open(&path)
            .await
            .map_err(|e| s3_error!(e, NoSuchKey))?;
        file.seek(std::io::SeekFrom::Start(start))
            .await
            .map_err(|e| s3_error!(e, InternalError))?;
        let body = ReaderStream::with_capacity(file.take(len), READ_SIZE);
        resp.output.body = Some(StreamingBlob::wrap(body));
        Ok(resp)
    }

    async fn list_objects_v2(
        &self,
        mut req: S3Request<ListObjectsV2Input>,
    ) -> S3Result<S3Response<ListObjectsV2Output>> {
        if req.input.delimiter.as_deref() == Some("") {
            req.input.delimiter = None;
        }
        self.fs.list_objects_v2(req).await
    }

    async fn list_objects(
        &self,
        mut req: S3Request<ListObjectsInput>,
    ) -> S3Result<S3Response<ListObjectsOutput>> {
        if req.input.delimiter.as_deref() == Some("") {
            req.input.delimiter = None;
        }
        self.fs.list_objects(req).await
    }

    // the rest: s3s-fs as it is

    async fn create_bucket(
        &self,
        req: S3Request<CreateBucketInput>,
    ) -> S3Result<S3Response<CreateBucketOutput>> {
        self.fs.create_bucket(req).await
    }

    async fn copy_object(
        &self,
        req: S3Request<CopyObjectInput>,
    ) -> S3Result<S3Response<CopyObjectOutput>> {
        self.fs.copy_object(req).await
    }

    async fn delete_bucket(
        &self,
        req: S3Request<DeleteBucketInput>,
    ) -> S3Result<S3Response<DeleteBucketOutput>> {
        self.fs.delete_bucket(req).await
    }

    async fn delete_object(
        &self,
        req: S3Request<DeleteObjectInput>,
    ) -> S3Result<S3Response<DeleteObjectOutput>> {
        self.fs.delete_object(req).await
    }

    async fn delete_objects(
        &self,
        req: S3Request<DeleteObjectsInput>,
    ) -> S3Result<S3Response<DeleteObjectsOutput>> {
        self.fs.delete_objects(req).await
    }

    async fn get_bucket_location(
        &self,
        req: S3Request<GetBucketLocationInput>,
    ) -> S3Result<S3Response<GetBucketLocationOutput>> {
        self.fs.get_bucket_location(req).await
    }

    async fn head_bucket(
        &self,
        req: S3Request<HeadBucketInput>,
    ) -> S3Result<S3Response<HeadBucketOutput>> {
        self.fs.head_bucket(req).await
    }

    async fn head_object(
        &self,
        req: S3Request<HeadObjectInput>,
    ) -> S3Result<S3Response<HeadObjectOutput>> {
        self.fs.head_object(req).await
    }

    async fn list_buckets(
        &self,
        req: S3Request<ListBucketsInput>,
    ) -> S3Result<S3Response<ListBucketsOutput>> {
        self.fs.list_buckets(req).await
    }

    async fn put_object(
        &self,
        req: S3Request<PutObjectInput>,
    ) -> S3Result<S3Response<PutObjectOutput>> {
        self.fs.put_object(req).await
    }

    async fn create_multipart_upload(
        &self,
        req: S3Request<CreateMultipartUploadInput>,
    ) -> S3Result<S3Response<CreateMultipartUploadOutput>> {
        self.fs.create_multipart_upload(req).await
    }

    async fn upload_part(
        &self,
        req: S3Request<UploadPartInput>,
    ) -> S3Result<S3Response<UploadPartOutput>> {
        self.fs.upload_part(req).await
    }

    async fn list_parts(
        &self,
        req: S3Request<ListPartsInput>,
    ) -> S3Result<S3Response<ListPartsOutput>> {
        self.fs.list_parts(req).await
    }

    async fn complete_multipart_upload(
        &self,
        req: S3Request<CompleteMultipartUploadInput>,
    ) -> S3Result<S3Response<CompleteMultipartUploadOutput>> {
        self.fs.complete_multipart_upload(req).await
    }

    async fn abort_multipart_upload(
        &self,
        req: S3Request<AbortMultipartUploadInput>,
    ) -> S3Result<S3Response<AbortMultipartUploadOutput>> {
        self.fs.abort_multipart_upload(req).await
    }
}

fn usage() -> String {
    "usage: s3-bench-server ADDR:PORT ROOT (credentials in BENCH_S3_ACCESS_KEY and \
     BENCH_S3_SECRET_KEY)"
        .to_string()
}

#[tokio::main]
async fn main() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let (Some(addr), Some(root), None) = (args.next(), args.next(), args.next()) else {
        return Err(usage());
    };
    let key =
        |name: &str| std::env::var(name).map_err(|_| format!("{name} is not set; {}", usage()));
    let (access, secret) = (key("BENCH_S3_ACCESS_KEY")?, key("BENCH_S3_SECRET_KEY")?);
    let root = std::fs::canonicalize(&root).map_err(|e| format!("{root}: {e}"))?;
    let fs = FileSystem::new(&root).map_err(|e| format!("{}: {e:?}", root.display()))?;
    let mut builder = S3ServiceBuilder::new(BenchServer { fs, root });
    builder.set_auth(SimpleAuth::from_single(access, secret));
    let service = builder.build();
    let listener = TcpListener::bind(&addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    eprintln!("s3-bench-server listening on http://{addr}");
    let http = ConnBuilder::new(TokioExecutor::new());
    loop {
        let socket = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((socket, _)) => {
                    // as production servers do (Go's net package, MinIO): without it the
                    // last partial segment of a response waits for the client's delayed
                    // ACK, ~40 ms per request (s3s-fs leaves Nagle on)
                    if let Err(e) = socket.set_nodelay(true) {
                        eprintln!("TCP_NODELAY: {e}");
                    }
                    socket
                }
                Err(e) => {
                    eprintln!("accept: {e}");
                    continue;
                }
            },
            _ = tokio::signal::ctrl_c() => return Ok(()),
        };
        let conn = http
            .serve_connection(TokioIo::new(socket), service.clone())
            .into_owned();
        tokio::spawn(async move {
            let _ = conn.await;
        });
    }
}
