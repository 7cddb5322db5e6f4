// libtorch's random generator is process-global: tests that seed it and then draw (seeded_randn,
// multinomial) would see other tests' draws in between if classes ran in parallel. The RSS bound
// of the training-loop test is also only meaningful without other tests allocating beside it.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
