"""The compiler at scale: segment cache, segment join, distributed jobs on JetStream, relinking.

Libraries the servicer and the render engine wire in (nothing here is served on its own). Blocking
calls are marked; run them in the service's BlockingExecutor.

Segment keys and cache (incremental re-render) — domain.segment_keys, adapters.segment_cache
    segment_key(description: Mapping, engine_version: str) -> str
        sha256 of the canonical JSON of `description` (put in it: source fingerprints, clip params,
        effects, output settings) plus the engine version. Non-JSON / NaN -> InvalidArgument.
    adapters.fingerprint.fingerprint_file(path) -> SourceFingerprint(size, mtime_ns, sample_hash)
        (blocking; NotFound). SourceFingerprint objects may sit in a description as they are.
    SegmentCache(root, max_bytes)                                   (blocking; thread/process safe)
        .get(key) -> Path | None     checksum-verified; a corrupted entry is dropped, counted, a miss
        .fetch(key, dest) -> bool    hard-links (or copies) a verified entry to dest
        .put(key, file) -> Path|None atomic copy in, then LRU eviction down to max_bytes
        .stats() -> CacheStats(entries, bytes, max_bytes, hits, misses, evictions, corrupted)
        .clear() -> int              (ClearCache)
    adapters.caching_renderer: render_with_cache(renderer, cache, task) -> (path, reused);
        CachingRenderer(inner, cache) for the single-process path (.reused / .rendered counts).

Join without re-encoding — adapters.segment_join, adapters.pyav_joiner
    join_segments(segment_paths, output_path, audio_path=None) -> JoinResult   (blocking; PyAV remux)
        Packets copied, timestamps shifted; the whole-timeline audio file's first audio stream muxed
        in. Segments must share codec/size/pix_fmt/extradata and start on a keyframe, else
        FailedPrecondition; unreadable -> DataLoss. Output .mp4/.mov/.mkv/.ts, written atomically.
    RemuxJoiner(executor=None): the async `Joiner` around it.

Distributed rendering (COMPILER_QUEUE=jetstream) — domain.render_ports, adapters.jetstream_*
    Protocols SegmentRenderer.render(task) -> Path and Joiner.join(job, paths) -> dict;
    SegmentSpec(index, key, description), SegmentTask(job_id, segment, work_dir, delivery,
    use_cache; .output_path = work_dir/job/NNNNNN.mp4), JobSpec.
    queue = JetStreamRenderQueue(nats_bus, QueueConfig(work_dir=shared_dir, ack_wait=30))   # svckit NatsBus
    await queue.start()
    state = await queue.submit(segments, output_path, audio_path=..., client_key=..., use_cache=True)
    await queue.get / require / cancel / wait_finished(job_id, timeout) / job_spec / pending_tasks
    async for state in queue.watch(job_id): ...          (WatchRender; ends when finished)
    worker = RenderWorker(queue, renderer, joiner, worker_id, cache=segment_cache)
    await worker.run(stop_event)                          (one task at a time; run several per replica)
    JobState: status (queued/running/joining/succeeded/failed/cancelled), segments_done,
    segments_reused, progress, result (joiner's dict + segments_total, segments_reused,
    join_seconds, joined_by), error, segments_by_worker(). Transitions in domain.job_state.
    python -m tstudio_compiler.scale.pattern_worker URL WORK_DIR ID: a test-pattern replica.

Relinking — domain.relink, adapters.media_search, adapters.fingerprint_ledger, relink_service
    api.relink_rpc.RelinkRpc(allowed_roots, executor.run)
        .find_missing_media(FindMissingMediaRequest) -> FindMissingMediaResponse
        .relink_media(RelinkMediaRequest) -> RelinkMediaResponse
        Both record fingerprints of the sources that exist into <base_dir>/.tstudio-media.json, which
        is what lets a renamed file be found by content and a same-named impostor be refused.
    relink_service.find_missing_media(project_json, base_dir, known) / relink_media(..., roots, known)
"""
