// libtorch's random generator is process-global and the tests seed it: run classes one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
