"""The compiler at scale: segment cache, segment join, distributed jobs on JetStream, relinking.

Libraries with no gRPC in them; the servicer and the render engine wire them in. Public API:

Segment keys and cache (incremental re-render)
    segment_key(description: Mapping, engine_version: str) -> str
        Content key of a segment: sha256 of the canonical JSON of `description` (put in it the source
        fingerprints, clip params, effects, output settings) plus the engine version.
    fingerprint_file(path) -> SourceFingerprint(size, mtime_ns, sample_hash)   (blocking; NotFound)
    SegmentCache(root, max_bytes)                                                (blocking; thread/process safe)
        .get(key) -> Path | None      verified (checksum) or None; a corrupted entry is dropped, counted
        .fetch(key, dest) -> bool     hard-links/copies a verified entry to dest
        .put(key, file) -> Path|None  atomic copy in, then LRU eviction to max_bytes
        .stats() -> CacheStats(entries, bytes, max_bytes, hits, misses, evictions, corrupted)
        .clear() -> int
    CachingRenderer(inner_renderer, cache, read=True, write=True)   read=write=False is `--no-cache`;
        .reused / .rendered count segments for RenderResult.segments_reused.

Join without re-encoding
    join_segments(segment_paths, output_path, audio_path=None) -> JoinResult   (blocking; PyAV remux)
        Segments must share codec/size/extradata and start on a keyframe (else FAILED_PRECONDITION);
        the output appears atomically. RemuxJoiner(executor) is the async `Joiner` around it.

Distributed rendering (COMPILER_QUEUE=jetstream)
    SegmentRenderer / Joiner Protocols, SegmentSpec(index, key, description), SegmentTask, JobSpec.
    queue = JetStreamRenderQueue(nats_connection, QueueConfig(work_dir=shared_dir, ack_wait=30))
    await queue.start()
    state = await queue.submit(segments, output_path, audio_path=..., client_key=...)  # idempotent by key
    await queue.get(job_id) / require / cancel / wait_finished(job_id, timeout) / job_spec / pending_tasks
    worker = RenderWorker(queue, renderer, joiner, worker_id); await worker.run(stop_event)
    JobState: status (queued/running/joining/succeeded/failed/cancelled), segments_done, progress,
    result (the joiner's dict + segments_total, join_seconds, joined_by), error, segments_by_worker().

Relinking
    project_sources(project_json_dict, base_dir) -> [ProjectSource]; find_missing(sources, exists)
    MediaSearch(roots).candidates_for(missing) -> [Candidate]     (walks roots, fingerprints; blocking)
    relink(missing, candidates) -> RelinkReport(proposals, unresolved); apply_relinks(project, proposals)
    FingerprintLedger(path).record(paths) / .load() -> {path: KnownMedia} feeds ProjectSource.known.
    find_missing_media(...) / relink_media(...) in scale.relink_service do all of it in one call.
"""
