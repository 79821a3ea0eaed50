using System;
using System.Runtime.ExceptionServices;
using Wdc.Native;

namespace Wdc
{
    /// <summary>
    /// A wafer-map defect classifier: a network, its label names, decision thresholds and training
    /// history (a <c>wdc_model</c> of the C ABI).
    /// </summary>
    /// <remarks>
    /// <para>Tasks: a multi-label model (MixedWM38's, the default) gives each label its own
    /// probability (sigmoid) and decides each by its threshold; a single-label model (network
    /// config <c>"task": "single_label"</c>, or trained first on a single-label
    /// <see cref="Dataset"/>) gives one probability per class, summing to 1 (softmax), and the
    /// most probable class decides (<see cref="SingleLabel"/>). A model whose config names no
    /// <c>"labels"</c> takes the label names (and, without <c>"task"</c>, the task) of the data
    /// it is first trained on; until then it has MixedWM38's 8.</para>
    /// <para>Wafer maps are bytes, row-major: 0 off the wafer, 1 a die that passed, 2 (or more) a
    /// die that failed, as in MixedWM38; height and width are each in [1, 4096]. Maps of another
    /// size than <see cref="InputHeight"/> x <see cref="InputWidth"/> are resized.</para>
    /// <para>Threading: <see cref="Predict(byte[,,])"/>, <see cref="Cam(byte[,], int)"/>,
    /// <see cref="Classify(byte[,,])"/>, <see cref="Evaluate(string)"/> and its overloads,
    /// <see cref="Embed(byte[,,])"/>, <see cref="Similar(MapIndex, byte[,,], int)"/>,
    /// <see cref="Novelty(byte[,,])"/> and their overloads, <see cref="Report"/>,
    /// <see cref="Thresholds"/>, <see cref="NoveltyThreshold"/>, <see cref="Info"/>,
    /// <see cref="Labels"/>, <see cref="LabelIndex"/> and <see cref="EmbeddingSize"/> may run on
    /// any number of threads at once.
    /// <see cref="Train(string, System.Func{Progress, bool})"/>, <see cref="FitNovelty"/> and
    /// <see cref="Save"/> need the model to themselves: while another thread is inside a call on
    /// it they fail at once with a <see cref="WdcException"/> of status
    /// <see cref="Status.Busy"/>, as do the other calls while they run (except
    /// <see cref="Labels"/>, <see cref="LabelIndex"/> and the input size, which always answer).
    /// <see cref="Dispose"/> may be called from any thread at any time: the model is freed once
    /// the last call in flight has returned.</para>
    /// <para>Errors: a failed call throws <see cref="WdcException"/> with the library's status and
    /// message; null arguments throw <see cref="ArgumentNullException"/>, buffers shorter than
    /// their stated size <see cref="ArgumentException"/>, and any call after
    /// <see cref="Dispose"/> <see cref="ObjectDisposedException"/>.</para>
    /// </remarks>
    public sealed class Model : IDisposable
    {
        private readonly ModelHandle _handle;
        // Replaced (never changed) when training gives the model its data's label names.
        private volatile string[] _labels;
        private readonly int _inputHeight;
        private readonly int _inputWidth;

        private Model(ModelHandle handle)
        {
            _handle = handle;
            // Labels are copied here, before the model is shared: wdc_label_name's string lives
            // only until wdc_free, and the handle is not yet reachable by another thread's Dispose.
            try
            {
                _labels = ReadLabels(handle);
                long height, width;
                WdcException.Check(WdcCapi.wdc_input_size(handle, out height, out width));
                _inputHeight = (int)height;
                _inputWidth = (int)width;
            }
            catch
            {
                handle.Dispose();
                throw;
            }
        }

        private static string[] ReadLabels(ModelHandle handle)
        {
            int count = WdcCapi.wdc_num_labels(handle);
            if (count < 0)
                throw WdcException.FromStatus(WdcCapi.WDC_E_MISUSE);
            var labels = new string[count];
            for (int i = 0; i < count; ++i)
            {
                labels[i] = WdcCapi.wdc_label_name(handle, i);
                if (labels[i] == null)
                    throw WdcException.FromStatus(WdcCapi.WDC_E_MISUSE);
            }
            return labels;
        }

        // After training: the model may have taken its data's label names (even when training
        // then failed). The library keeps every list of names a model has had until wdc_free; the
        // reference held here keeps a Dispose on another thread from freeing the model between
        // wdc_label_name and the copy of its string.
        private void RefreshLabels()
        {
            bool added = false;
            try
            {
                _handle.DangerousAddRef(ref added);
                _labels = ReadLabels(_handle);
            }
            catch (ObjectDisposedException)
            {
                // Disposed during training (from the callback or another thread): nothing to read.
            }
            catch (WdcException)
            {
                // Not live any more, or out of memory: the old names stay.
            }
            finally
            {
                if (added)
                    _handle.DangerousRelease();
            }
        }

        /// <summary>Loads a model file written by <see cref="Save"/> (or <c>wdc
        /// train</c>).</summary>
        /// <param name="path">The model file.</param>
        /// <param name="optionsJson">Run-time options as a JSON object, null for the defaults:
        /// <c>"device"</c>: <c>"cpu"</c> (default), <c>"cuda"</c> or <c>"auto"</c>;
        /// <c>"threads"</c>: the CPU threads each call on this model uses, 0 (default) = chosen
        /// per call by its work (one thread per map, up to all cores); limits, going past which is an error: <c>"max_map_side"</c> (default 4096),
        /// <c>"max_batch"</c> (maps per <see cref="Predict(byte[,,])"/>, default 65536),
        /// <c>"max_file_bytes"</c> (default 2 GiB), <c>"max_parameters"</c> (default 50000000);
        /// <c>"buffer_cache"</c>: false keeps the first model from installing the process-wide
        /// cache of large CPU buffers in LibTorch's allocator (default true);
        /// <c>"openblas_threads"</c>: the size this model sets OpenBLAS's own thread pool to,
        /// for the whole process (default 1; 0 leaves it as it is);
        /// <c>"novelty_threshold"</c>: the novelty above which a map is unknown
        /// (<see cref="NoveltyThreshold"/>), in place of the threshold calibrated in training;
        /// only for a model with novelty statistics;
        /// <c>"precision"</c>: what inference computes in, <c>"fp32"</c> (default),
        /// <c>"bf16"</c> (bfloat16, 1.6 to 1.7 times the throughput at batch 256; only on a CPU with
        /// AVX512_BF16, else Unsupported) or <c>"auto"</c> (bf16 where the CPU has it);
        /// <see cref="Info"/>'s <c>"precision"</c> says which is in use.</param>
        /// <exception cref="WdcException">IO (cannot read), Format (not a wdc model, corrupt,
        /// another format version), Config (optionsJson), Unsupported (device, or bf16 without
        /// native bfloat16), InvalidArgument
        /// (a <c>"novelty_threshold"</c> for a model without novelty statistics).</exception>
        public static Model Load(string path, string optionsJson = null)
        {
            if (path == null)
                throw new ArgumentNullException("path");
            ModelHandle handle;
            int status = WdcCapi.wdc_load(path, optionsJson, out handle);
            return Wrap(status, handle);
        }

        /// <summary>Loads the trained MixedWM38 model built into the library
        /// (<c>models/mixedwm38-dcn.wdcm</c>): the DCNv2 network trained on real MixedWM38 maps,
        /// 8 labels, 52 x 52 input; docs/ACCURACY.md has its accuracy. Each call gives a new,
        /// independent model.</summary>
        /// <param name="optionsJson">Run-time options as for <see cref="Load"/>, including
        /// <c>"novelty_threshold"</c>, which needs novelty statistics (the built-in model has
        /// none at present: <see cref="FitNovelty"/> adds them).</param>
        /// <exception cref="WdcException">Config (optionsJson), Unsupported (device),
        /// InvalidArgument (a <c>"novelty_threshold"</c> for a model without novelty
        /// statistics).</exception>
        public static Model LoadBuiltin(string optionsJson = null)
        {
            ModelHandle handle;
            int status = WdcCapi.wdc_load_builtin(optionsJson, out handle);
            return Wrap(status, handle);
        }

        /// <summary>Creates an untrained model (random weights) from a network config.</summary>
        /// <param name="configJson">The network as a JSON object, e.g.
        /// <c>{"input":{"encoding":"onehot"},"blocks":[{"channels":8,"stride":2}]}</c>; every key
        /// is optional; null gives the default MixedWM38 network. <c>"labels"</c> (names) and
        /// <c>"task"</c> (<c>"multi_label"</c> or <c>"single_label"</c>, which needs 2 or more
        /// labels) fix what the model predicts; without <c>"labels"</c> the first training data
        /// names them (and, without <c>"task"</c>, sets the task). <c>"ensemble"</c>: a list of
        /// member networks averaged as one model (docs/TRAINING.md).</param>
        /// <exception cref="WdcException">Config (malformed JSON, unknown key, invalid
        /// value).</exception>
        public static Model Create(string configJson = null)
        {
            ModelHandle handle;
            int status = WdcCapi.wdc_create(configJson, out handle);
            return Wrap(status, handle);
        }

        /// <summary>Creates an untrained model (random weights) from a network config, with
        /// run-time options, e.g. to train a new model on a GPU.</summary>
        /// <param name="configJson">The network as for <see cref="Create(string)"/>; null gives
        /// the default MixedWM38 network.</param>
        /// <param name="optionsJson">Run-time options as for <see cref="Load"/> (<c>"device"</c>,
        /// <c>"threads"</c>, the limits, <c>"buffer_cache"</c>); null for the defaults.</param>
        /// <exception cref="WdcException">Config (configJson or optionsJson), Unsupported (device
        /// not available).</exception>
        public static Model Create(string configJson, string optionsJson)
        {
            ModelHandle handle;
            int status = WdcCapi.wdc_create_with_options(configJson, optionsJson, out handle);
            return Wrap(status, handle);
        }

        private static Model Wrap(int status, ModelHandle handle)
        {
            if (status != WdcCapi.WDC_OK)
            {
                WdcException error = WdcException.FromStatus(status);
                if (handle != null)
                    handle.Dispose();  // invalid (NULL): the library leaves `out` untouched
                throw error;
            }
            return new Model(handle);
        }

        /// <summary>Writes the model to <paramref name="path"/> atomically (a temporary file in the
        /// same directory renamed over it); a failure leaves any old file intact.</summary>
        /// <exception cref="WdcException">IO, Busy (another thread is using the model).</exception>
        public void Save(string path)
        {
            if (path == null)
                throw new ArgumentNullException("path");
            ThrowIfDisposed();
            WdcException.Check(WdcCapi.wdc_save(_handle, path));
        }

        /// <summary>The label names (class names, for a single-label model), in the order of the
        /// columns of <see cref="Predict(byte[,,])"/>, e.g. <c>"Center"</c>, <c>"Donut"</c>, ...
        /// for MixedWM38 models (a new copy on each call). A model whose config named no labels
        /// has MixedWM38's until its first training, then its training data's.</summary>
        public string[] Labels
        {
            get
            {
                ThrowIfDisposed();
                return (string[])_labels.Clone();
            }
        }

        /// <summary>The index in <see cref="Labels"/> of the label called
        /// <paramref name="name"/>.</summary>
        /// <param name="name">A label name, compared without regard to case (<c>"loc"</c>); for
        /// MixedWM38's labels also a short name (<c>"L"</c>, <c>"EL"</c>, <c>"NF"</c>); or a
        /// decimal index (<c>"4"</c>).</param>
        /// <returns>The index, or -1 when nothing matches.</returns>
        public int LabelIndex(string name)
        {
            if (name == null)
                throw new ArgumentNullException("name");
            ThrowIfDisposed();
            return WdcCapi.wdc_label_index(_handle, name);
        }

        /// <summary>The decision thresholds, one per label in the order of <see cref="Labels"/>:
        /// a label counts as present when its probability is at least its threshold (chosen on
        /// validation maps by <see cref="Train(string, System.Func{Progress, bool})"/>; 0.5 for an
        /// untrained model). A single-label model decides by the most probable class instead; its
        /// thresholds are 0.5 and unused. A new copy on each call.</summary>
        /// <exception cref="WdcException">Busy (training or saving on another thread).</exception>
        public float[] Thresholds
        {
            get
            {
                ThrowIfDisposed();
                float[] thresholds = new float[_labels.Length];
                WdcException.Check(WdcCapi.wdc_thresholds(_handle, thresholds,
                                                          thresholds.LongLength));
                return thresholds;
            }
        }

        /// <summary>Whether the model is single-label (<c>"task": "single_label"</c> in the config
        /// of <see cref="Info"/>): one probability per class, summing to 1, and the most probable
        /// class decides. May change with the first training of a model whose config named no
        /// labels and no task.</summary>
        /// <exception cref="WdcException">Busy (training or saving on another thread).</exception>
        public bool SingleLabel
        {
            get
            {
                string config = JsonText.Member(Info, "config");
                return config != null && JsonText.Member(config, "task") == "\"single_label\"";
            }
        }

        /// <summary>The map height the network was built for (52 for MixedWM38).</summary>
        public int InputHeight
        {
            get { return _inputHeight; }
        }

        /// <summary>The map width the network was built for (52 for MixedWM38).</summary>
        public int InputWidth
        {
            get { return _inputWidth; }
        }

        /// <summary>The model as JSON (the text of <c>wdc info --json</c>): "library_version",
        /// "config" (the network config), "labels", "thresholds" (per label, the probability from
        /// which the label counts as present), "parameters", "fingerprint" (16 hex digits hashing
        /// the config and weights: equal for models whose weights are equal bit for bit),
        /// "device" and "training" (options and history of the last training run).</summary>
        /// <exception cref="WdcException">Busy (training or saving on another thread).</exception>
        public string Info
        {
            get
            {
                ThrowIfDisposed();
                string info;
                WdcException.Check(WdcCapi.wdc_info(_handle, out info));
                return info;
            }
        }

        /// <summary>Classifies wafer maps.</summary>
        /// <param name="maps">The maps, indexed [map, row, column].</param>
        /// <returns>[map, label]: the probability in [0, 1] that the map shows the label's defect
        /// pattern (for a single-label model, that the map is of that class: each row sums to 1);
        /// the labels are <see cref="Labels"/>. An empty input gives an empty result.</returns>
        /// <exception cref="WdcException">InvalidArgument (height or width 0 or over 4096), Busy
        /// (training or saving on another thread).</exception>
        public float[,] Predict(byte[,,] maps)
        {
            if (maps == null)
                throw new ArgumentNullException("maps");
            ThrowIfDisposed();
            int count = maps.GetLength(0), height = maps.GetLength(1), width = maps.GetLength(2);
            float[,] result = new float[count, _labels.Length];
            if (count == 0)
                return result;
            float[] probabilities = Predict(Buffers.Flatten(maps), count, height, width);
            Buffer.BlockCopy(probabilities, 0, result, 0, probabilities.Length * sizeof(float));
            return result;
        }

        /// <summary>Classifies <paramref name="count"/> maps stored one after another.</summary>
        /// <param name="maps">At least count * height * width bytes, map after map,
        /// row-major.</param>
        /// <param name="count">The number of maps.</param>
        /// <param name="height">The rows of each map.</param>
        /// <param name="width">The columns of each map.</param>
        /// <returns>count * Labels.Length probabilities: element [i * Labels.Length + j] is the
        /// probability that map i shows label j's pattern. Empty when count is 0.</returns>
        /// <exception cref="ArgumentException"><paramref name="maps"/> is shorter than
        /// count * height * width.</exception>
        /// <exception cref="WdcException">InvalidArgument (a negative count, height or width 0,
        /// negative or over 4096), Busy.</exception>
        public float[] Predict(byte[] maps, int count, int height, int width)
        {
            if (maps == null)
                throw new ArgumentNullException("maps");
            ThrowIfDisposed();
            if (count == 0)
                return new float[0];
            // The library cannot see a C# array's length: never let it read past the end.
            if (count > 0 && height > 0 && width > 0 && (long)count * height * width > maps.LongLength)
                throw new ArgumentException(string.Format(
                    "maps holds {0} bytes, fewer than count * height * width = {1}.",
                    maps.LongLength, (long)count * height * width), "maps");
            float[] probabilities = new float[count > 0 ? (long)count * _labels.Length : 0];
            WdcException.Check(WdcCapi.wdc_predict(_handle, maps, count, height, width,
                                                   probabilities, probabilities.LongLength));
            return probabilities;
        }

        /// <summary>Classifies wafer maps and applies the <see cref="Thresholds"/>.</summary>
        /// <param name="maps">The maps, indexed [map, row, column].</param>
        /// <returns>A JSON array with one object per map, in order:
        /// <c>{"index": i, "probabilities": [one per label, as Predict], "labels": [names of the
        /// labels present], "type": {"id": "C12", "name": "C+L"}, "novelty": n, "unknown":
        /// false}</c>; <c>"type"</c> is the MixedWM38 pattern type of the labels present (id null
        /// and name <c>"unknown"</c> when they form none of the 38, or the model's labels are not
        /// MixedWM38's); <c>"novelty"</c> is the map's <see cref="Novelty(byte[,,])"/> (null for
        /// a model without novelty statistics) and <c>"unknown"</c> whether it is above
        /// <see cref="NoveltyThreshold"/> (false without statistics). For a single-label model
        /// <c>"labels"</c> holds exactly one name, the most probable class. An empty input gives
        /// <c>"[]"</c>.</returns>
        /// <exception cref="WdcException">As <see cref="Predict(byte[,,])"/>.</exception>
        public string Classify(byte[,,] maps)
        {
            if (maps == null)
                throw new ArgumentNullException("maps");
            ThrowIfDisposed();
            int count = maps.GetLength(0);
            if (count == 0)
                return "[]";
            string result;
            WdcException.Check(WdcCapi.wdc_classify(_handle, Buffers.Flatten(maps), count,
                                                    maps.GetLength(1), maps.GetLength(2),
                                                    out result));
            return result;
        }

        /// <summary>Classifies maps [first, first + count) of a data set, as
        /// <see cref="Classify(byte[,,])"/>; each object also has <c>"true_labels"</c> (the names
        /// of the labels the data set gives the map), <c>"true_type"</c> (<c>{"id", "name"}</c>
        /// as <c>"type"</c>) and <c>"correct"</c> (true when every label is decided as labelled;
        /// false for a model whose labels are not the data set's). <c>"index"</c> is the map's
        /// index in the data set.</summary>
        /// <param name="data">The data set.</param>
        /// <param name="first">The index of the first map.</param>
        /// <param name="count">The number of maps; 0 (with first in [0, data.Count]) gives
        /// <c>"[]"</c>.</param>
        /// <returns>The JSON array.</returns>
        /// <exception cref="ObjectDisposedException">The model or the data set was
        /// disposed.</exception>
        /// <exception cref="WdcException">InvalidArgument (the range is not inside the data set,
        /// or is too large a batch), Busy.</exception>
        public string Classify(Dataset data, long first, long count)
        {
            if (data == null)
                throw new ArgumentNullException("data");
            ThrowIfDisposed();
            DatasetHandle dataHandle = data.Handle;
            if (data.IsEmptyRange(first, count))
                return "[]";
            string result;
            WdcException.Check(WdcCapi.wdc_classify_dataset(_handle, dataHandle, first, count,
                                                            out result));
            return result;
        }

        /// <summary>The class activation map of one label for one wafer map: where in the map the
        /// network sees that pattern.</summary>
        /// <param name="map">The wafer map, indexed [row, column].</param>
        /// <param name="label">The label's index in <see cref="Labels"/>.</param>
        /// <returns>[row, column], values in [0, 1], at the map's own size.</returns>
        /// <exception cref="WdcException">InvalidArgument (label out of range, map size 0 or over
        /// 4096), Busy.</exception>
        public float[,] Cam(byte[,] map, int label)
        {
            if (map == null)
                throw new ArgumentNullException("map");
            ThrowIfDisposed();
            int height = map.GetLength(0), width = map.GetLength(1);
            float[] cam = Cam(Buffers.Flatten(map), height, width, label);
            float[,] result = new float[height, width];
            Buffer.BlockCopy(cam, 0, result, 0, cam.Length * sizeof(float));
            return result;
        }

        /// <summary>The class activation map of one label for one row-major wafer map.</summary>
        /// <param name="map">At least height * width bytes, row-major.</param>
        /// <param name="height">The map's rows.</param>
        /// <param name="width">The map's columns.</param>
        /// <param name="label">The label's index in <see cref="Labels"/>.</param>
        /// <returns>height * width values in [0, 1], row-major.</returns>
        /// <exception cref="ArgumentException"><paramref name="map"/> is shorter than
        /// height * width.</exception>
        /// <exception cref="WdcException">InvalidArgument, Busy.</exception>
        public float[] Cam(byte[] map, int height, int width, int label)
        {
            if (map == null)
                throw new ArgumentNullException("map");
            ThrowIfDisposed();
            bool positive = height > 0 && width > 0;
            if (positive && (long)height * width > map.LongLength)
                throw new ArgumentException(string.Format(
                    "map holds {0} bytes, fewer than height * width = {1}.",
                    map.LongLength, (long)height * width), "map");
            float[] cam = new float[positive ? (long)height * width : 0];
            WdcException.Check(WdcCapi.wdc_cam(_handle, map, height, width, label, cam,
                                               cam.LongLength));
            return cam;
        }

        /// <summary>The length of a map's embedding (<see cref="Embed(byte[,,])"/>): the channels
        /// of the network's last block. It never changes for a model.</summary>
        public int EmbeddingSize
        {
            get
            {
                ThrowIfDisposed();
                long size = WdcCapi.wdc_embedding_size(_handle);
                if (size < 0)
                    throw WdcException.FromStatus(WdcCapi.WDC_E_MISUSE);
                return (int)size;
            }
        }

        /// <summary>One embedding per wafer map: the network's features of the map averaged over
        /// space and scaled to unit length, so that the dot product of two embeddings is their
        /// cosine similarity (maps that look alike to the model are near each other, whatever its
        /// labels call them).</summary>
        /// <param name="maps">The maps, indexed [map, row, column].</param>
        /// <returns>[map, <see cref="EmbeddingSize"/>]: each row of unit length (all zero when
        /// the network sees no feature at all in the map). An empty input gives an empty
        /// [0, EmbeddingSize] result.</returns>
        /// <exception cref="WdcException">As <see cref="Predict(byte[,,])"/>.</exception>
        public float[,] Embed(byte[,,] maps)
        {
            if (maps == null)
                throw new ArgumentNullException("maps");
            ThrowIfDisposed();
            int count = maps.GetLength(0), height = maps.GetLength(1), width = maps.GetLength(2);
            int size = EmbeddingSize;
            float[,] result = new float[count, size];
            if (count == 0)
                return result;
            float[] embeddings = Embed(Buffers.Flatten(maps), count, height, width);
            Buffer.BlockCopy(embeddings, 0, result, 0, embeddings.Length * sizeof(float));
            return result;
        }

        /// <summary>The embeddings of <paramref name="count"/> maps stored one after another, as
        /// <see cref="Embed(byte[,,])"/>.</summary>
        /// <param name="maps">At least count * height * width bytes, map after map,
        /// row-major.</param>
        /// <param name="count">The number of maps.</param>
        /// <param name="height">The rows of each map.</param>
        /// <param name="width">The columns of each map.</param>
        /// <returns>count * <see cref="EmbeddingSize"/> values: element
        /// [i * EmbeddingSize + j] is component j of map i's embedding. Empty when count is
        /// 0.</returns>
        /// <exception cref="ArgumentException"><paramref name="maps"/> is shorter than
        /// count * height * width.</exception>
        /// <exception cref="WdcException">InvalidArgument (a negative count, height or width 0,
        /// negative or over 4096), Busy.</exception>
        public float[] Embed(byte[] maps, int count, int height, int width)
        {
            if (maps == null)
                throw new ArgumentNullException("maps");
            ThrowIfDisposed();
            if (count == 0)
                return new float[0];
            // The library cannot see a C# array's length: never let it read past the end.
            if (count > 0 && height > 0 && width > 0 && (long)count * height * width > maps.LongLength)
                throw new ArgumentException(string.Format(
                    "maps holds {0} bytes, fewer than count * height * width = {1}.",
                    maps.LongLength, (long)count * height * width), "maps");
            float[] embeddings = new float[count > 0 ? (long)count * EmbeddingSize : 0];
            WdcException.Check(WdcCapi.wdc_embed(_handle, maps, count, height, width, embeddings,
                                                 embeddings.LongLength));
            return embeddings;
        }

        /// <summary>The embeddings of maps [first, first + count) of a data set, whatever their
        /// sizes, as <see cref="Embed(byte[,,])"/>.</summary>
        /// <param name="data">The data set.</param>
        /// <param name="first">The index of the first map.</param>
        /// <param name="count">The number of maps; 0 (with first in [0, data.Count]) gives an
        /// empty [0, <see cref="EmbeddingSize"/>] array.</param>
        /// <returns>[map, <see cref="EmbeddingSize"/>], each row of unit length.</returns>
        /// <exception cref="ObjectDisposedException">The model or the data set was
        /// disposed.</exception>
        /// <exception cref="WdcException">InvalidArgument (the range is not inside the data set,
        /// or is too large a batch), Busy.</exception>
        public float[,] Embed(Dataset data, long first, long count)
        {
            if (data == null)
                throw new ArgumentNullException("data");
            ThrowIfDisposed();
            DatasetHandle dataHandle = data.Handle;
            int size = EmbeddingSize;
            if (data.IsEmptyRange(first, count))
                return new float[0, size];
            // Out of range, the library is passed an empty buffer and rejects the range: nothing
            // is allocated for a count the data set does not have.
            bool inside = first >= 0 && count >= 0 && first <= data.Count - count;
            float[] flat = new float[inside ? count * size : 0];
            WdcException.Check(WdcCapi.wdc_embed_dataset(_handle, dataHandle, first, count, flat,
                                                         flat.LongLength));
            float[,] result = new float[count, size];
            Buffer.BlockCopy(flat, 0, result, 0, flat.Length * sizeof(float));
            return result;
        }

        /// <summary>For each wafer map, the <paramref name="k"/> maps of an index most similar to
        /// it: the highest cosine similarity of their embeddings (<see
        /// cref="Embed(byte[,,])"/>), most similar first.</summary>
        /// <param name="index">An index built by this model (<see cref="MapIndex.Build"/>, or
        /// loaded from a file it wrote): its model's fingerprint (network config and weights)
        /// must be this model's.</param>
        /// <param name="maps">The maps, indexed [map, row, column].</param>
        /// <param name="k">The neighbours per map, 1 or more; a map gets min(k,
        /// <see cref="MapIndex.Count"/>).</param>
        /// <returns>A JSON array with one object per map, in order: <c>{"index": i,
        /// "neighbours": [{"index": j, "similarity": s, "labels": [names]}, ...]}</c>, where j is
        /// the map's index in the index (the data set it was built from), s its cosine
        /// similarity in [-1, 1] and <c>"labels"</c> the names of the labels that data set gives
        /// it. An empty input gives <c>"[]"</c>.</returns>
        /// <exception cref="ObjectDisposedException">The model or the index was
        /// disposed.</exception>
        /// <exception cref="WdcException">InvalidArgument (k below 1, an index built by another
        /// model, sizes as for <see cref="Predict(byte[,,])"/>), Busy.</exception>
        public string Similar(MapIndex index, byte[,,] maps, int k)
        {
            if (index == null)
                throw new ArgumentNullException("index");
            if (maps == null)
                throw new ArgumentNullException("maps");
            ThrowIfDisposed();
            IndexHandle indexHandle = index.Handle;
            int count = maps.GetLength(0);
            if (count == 0)
                return "[]";
            string result;
            WdcException.Check(WdcCapi.wdc_similar(_handle, indexHandle, Buffers.Flatten(maps),
                                                   count, maps.GetLength(1), maps.GetLength(2), k,
                                                   out result));
            return result;
        }

        /// <summary>The maps of an index most similar to each of maps [first, first + count) of a
        /// data set, as <see cref="Similar(MapIndex, byte[,,], int)"/>; <c>"index"</c> is the
        /// map's index in the data set.</summary>
        /// <param name="index">An index built by this model.</param>
        /// <param name="data">The data set of the maps to look up (maps of any sizes).</param>
        /// <param name="first">The index of the first map.</param>
        /// <param name="count">The number of maps; 0 (with first in [0, data.Count]) gives
        /// <c>"[]"</c>.</param>
        /// <param name="k">The neighbours per map, 1 or more.</param>
        /// <returns>The JSON array.</returns>
        /// <exception cref="ObjectDisposedException">The model, the index or the data set was
        /// disposed.</exception>
        /// <exception cref="WdcException">InvalidArgument (k below 1, an index built by another
        /// model, the range is not inside the data set, or is too large a batch),
        /// Busy.</exception>
        public string Similar(MapIndex index, Dataset data, long first, long count, int k)
        {
            if (index == null)
                throw new ArgumentNullException("index");
            if (data == null)
                throw new ArgumentNullException("data");
            ThrowIfDisposed();
            IndexHandle indexHandle = index.Handle;
            DatasetHandle dataHandle = data.Handle;
            if (data.IsEmptyRange(first, count))
                return "[]";
            string result;
            WdcException.Check(WdcCapi.wdc_similar_dataset(_handle, indexHandle, dataHandle, first,
                                                           count, k, out result));
            return result;
        }

        /// <summary>How unlike the maps the model was trained on each wafer map is: 1 minus the
        /// cosine similarity of its embedding (<see cref="Embed(byte[,,])"/>) to that of its k-th
        /// nearest training map (k = 5 unless training said otherwise; the model keeps a seeded
        /// sample of its training maps' embeddings), in [0, 2], higher = more novel. A map whose
        /// novelty is above <see cref="NoveltyThreshold"/> is unknown (<c>"unknown"</c> in
        /// <see cref="Classify(byte[,,])"/>): probably a pattern none of the model's labels
        /// describes, whatever its probabilities say. Training computes the novelty statistics
        /// (training options <c>"novelty_k"</c>, <c>"novelty_bank"</c>,
        /// <c>"novelty_share"</c>); a model trained before novelty existed has none:
        /// <see cref="FitNovelty"/> adds them.</summary>
        /// <param name="maps">The maps, indexed [map, row, column].</param>
        /// <returns>One novelty per map, in order. An empty input gives an empty
        /// array.</returns>
        /// <exception cref="WdcException">Unsupported (a model without novelty statistics),
        /// otherwise as <see cref="Predict(byte[,,])"/>.</exception>
        public float[] Novelty(byte[,,] maps)
        {
            if (maps == null)
                throw new ArgumentNullException("maps");
            ThrowIfDisposed();
            int count = maps.GetLength(0), height = maps.GetLength(1), width = maps.GetLength(2);
            if (count == 0)
                return new float[0];
            return Novelty(Buffers.Flatten(maps), count, height, width);
        }

        /// <summary>The novelty of <paramref name="count"/> maps stored one after another, as
        /// <see cref="Novelty(byte[,,])"/>.</summary>
        /// <param name="maps">At least count * height * width bytes, map after map,
        /// row-major.</param>
        /// <param name="count">The number of maps.</param>
        /// <param name="height">The rows of each map.</param>
        /// <param name="width">The columns of each map.</param>
        /// <returns>count values in [0, 2]: element i is map i's novelty. Empty when count is
        /// 0.</returns>
        /// <exception cref="ArgumentException"><paramref name="maps"/> is shorter than
        /// count * height * width.</exception>
        /// <exception cref="WdcException">Unsupported (a model without novelty statistics),
        /// InvalidArgument (a negative count, height or width 0, negative or over 4096),
        /// Busy.</exception>
        public float[] Novelty(byte[] maps, int count, int height, int width)
        {
            if (maps == null)
                throw new ArgumentNullException("maps");
            ThrowIfDisposed();
            if (count == 0)
                return new float[0];
            // The library cannot see a C# array's length: never let it read past the end.
            if (count > 0 && height > 0 && width > 0 && (long)count * height * width > maps.LongLength)
                throw new ArgumentException(string.Format(
                    "maps holds {0} bytes, fewer than count * height * width = {1}.",
                    maps.LongLength, (long)count * height * width), "maps");
            float[] novelty = new float[count > 0 ? count : 0];
            WdcException.Check(WdcCapi.wdc_novelty(_handle, maps, count, height, width, novelty,
                                                   novelty.LongLength));
            return novelty;
        }

        /// <summary>The novelty above which a map is unknown (<see cref="Novelty(byte[,,])"/>):
        /// the <c>"novelty_threshold"</c> option of <see cref="Load"/> if given, else the
        /// threshold calibrated on the validation maps by
        /// <see cref="Train(string, System.Func{Progress, bool})"/> or <see cref="FitNovelty"/>
        /// (the one that flags training option <c>"novelty_share"</c> of them, by default
        /// 1 %).</summary>
        /// <exception cref="WdcException">Unsupported (a model without novelty statistics), Busy
        /// (training or saving on another thread).</exception>
        public float NoveltyThreshold
        {
            get
            {
                ThrowIfDisposed();
                float threshold;
                WdcException.Check(WdcCapi.wdc_novelty_threshold(_handle, out threshold));
                return threshold;
            }
        }

        /// <summary>Computes a trained model's novelty statistics, as training does at its end:
        /// the embeddings of the maps of <paramref name="train"/> (a seeded sample when there are
        /// more than <c>"bank"</c>), then the threshold that flags <c>"share"</c> of the maps of
        /// <paramref name="val"/>. Replaces any statistics the model had (and a
        /// <c>"novelty_threshold"</c> given to <see cref="Load"/> stays in force);
        /// <see cref="Save"/> keeps them. Gives a model trained before novelty existed (such as
        /// <see cref="LoadBuiltin"/>'s) its <see cref="Novelty(byte[,,])"/> and
        /// <see cref="NoveltyThreshold"/>.</summary>
        /// <param name="train">The model's training maps.</param>
        /// <param name="val">Maps of the classes the model knows, not used for training: the
        /// threshold is calibrated on them.</param>
        /// <param name="optionsJson">Null for the defaults, or a JSON object of <c>"k"</c> (the
        /// neighbour whose similarity counts, 1-1000, default 5), <c>"bank"</c> (most training
        /// maps kept, at least k, default 4096), <c>"share"</c> (of the validation maps to flag,
        /// 0-0.5, default 0.01) and <c>"seed"</c> (of the sample, default 0).</param>
        /// <returns>A summary as JSON: <c>{"method": "knn", "k", "bank" (maps kept),
        /// "threshold", "calibration_share", "calibration_maps"}</c>.</returns>
        /// <exception cref="ObjectDisposedException">The model or a data set was
        /// disposed.</exception>
        /// <exception cref="WdcException">InvalidArgument (an empty data set, fewer training maps
        /// than k), Config (optionsJson), Busy (another thread is using the model).</exception>
        public string FitNovelty(Dataset train, Dataset val, string optionsJson = null)
        {
            if (train == null)
                throw new ArgumentNullException("train");
            if (val == null)
                throw new ArgumentNullException("val");
            ThrowIfDisposed();
            string result;
            WdcException.Check(WdcCapi.wdc_fit_novelty(_handle, train.Handle, val.Handle,
                                                       optionsJson, out result));
            return result;
        }

        /// <summary>Evaluates the model on a labelled data set file, in any layout that
        /// <see cref="Dataset.Load"/> reads, whose labels are the model's.</summary>
        /// <param name="path">The npz file.</param>
        /// <returns>The metrics as JSON (the text of <c>wdc eval --json</c>). A multi-label
        /// model's: <c>{"task": "multi_label", "samples", "exact_match", "hamming", "mean_f1",
        /// "min_f1", "labels": [{"name", "precision", "recall", "f1", "support"}], "types"}</c>.
        /// A single-label model's: <c>{"task": "single_label", "samples", "accuracy",
        /// "macro_f1", "min_f1", "labels": [{"name", "precision", "recall", "f1", "support"}],
        /// "confusion"}</c>, where <c>confusion[t][p]</c> counts the maps of true class t
        /// predicted as class p (classes in the order of <see cref="Labels"/>).</returns>
        /// <exception cref="WdcException">IO, Format, InvalidArgument (empty data set, labels that
        /// are not the model's, for a single-label model a map without exactly one label),
        /// Busy.</exception>
        public string Evaluate(string path)
        {
            if (path == null)
                throw new ArgumentNullException("path");
            ThrowIfDisposed();
            string report;
            WdcException.Check(WdcCapi.wdc_evaluate(_handle, path, out report));
            return report;
        }

        /// <summary>Evaluates a model of MixedWM38's 8 labels on maps and labels in memory: the
        /// report of <see cref="Evaluate(string)"/>. For other labels, classes or maps of several
        /// sizes, make a <see cref="Dataset"/> and use <see cref="Evaluate(Dataset)"/>.</summary>
        /// <param name="maps">The maps, indexed [map, row, column].</param>
        /// <param name="labels">[map, label], 0 (absent) or 1 (present): one row per map, one
        /// column per label of <see cref="Labels"/>.</param>
        /// <returns>The metrics as JSON.</returns>
        /// <exception cref="ArgumentException"><paramref name="labels"/> does not have one row
        /// per map and one column per label.</exception>
        /// <exception cref="WdcException">InvalidArgument (no maps, a label other than 0 or 1,
        /// sizes as for <see cref="Predict(byte[,,])"/>), Unsupported (not MixedWM38's 8 labels),
        /// Busy.</exception>
        public string Evaluate(byte[,,] maps, byte[,] labels)
        {
            if (maps == null)
                throw new ArgumentNullException("maps");
            if (labels == null)
                throw new ArgumentNullException("labels");
            ThrowIfDisposed();
            int count = maps.GetLength(0);
            if (labels.GetLength(0) != count || labels.GetLength(1) != _labels.Length)
                throw new ArgumentException(string.Format(
                    "labels is [{0}, {1}]; {2} maps need [{2}, {3}].", labels.GetLength(0),
                    labels.GetLength(1), count, _labels.Length), "labels");
            byte[] flatLabels = Buffers.Flatten(labels);
            string report;
            WdcException.Check(WdcCapi.wdc_evaluate_maps(_handle, Buffers.Flatten(maps),
                                                         count, maps.GetLength(1),
                                                         maps.GetLength(2), flatLabels,
                                                         flatLabels.LongLength, out report));
            return report;
        }

        /// <summary>Evaluates the model on a data set whose labels are the model's (maps of any
        /// sizes): the report of <see cref="Evaluate(string)"/>, e.g. for a single-label model
        /// <c>"accuracy"</c>, <c>"macro_f1"</c> and <c>"confusion"</c>.</summary>
        /// <param name="data">The data set.</param>
        /// <returns>The metrics as JSON.</returns>
        /// <exception cref="ObjectDisposedException">The model or the data set was
        /// disposed.</exception>
        /// <exception cref="WdcException">InvalidArgument (an empty data set, labels that are not
        /// the model's, for a single-label model a map without exactly one label),
        /// Busy.</exception>
        public string Evaluate(Dataset data)
        {
            if (data == null)
                throw new ArgumentNullException("data");
            ThrowIfDisposed();
            string report;
            WdcException.Check(WdcCapi.wdc_evaluate_dataset(_handle, data.Handle, out report));
            return report;
        }

        /// <summary>Writes a self-contained HTML report of the model on a labelled data set to
        /// <c>outDir/index.html</c> (the directory is created if needed; the page is written
        /// atomically): training curves, metrics, the label confusion view and class activation
        /// maps of a few maps per pattern type (per class for a single-label data set, per label
        /// combination for other labels).</summary>
        /// <param name="data">The data set.</param>
        /// <param name="outDir">The directory of the report.</param>
        /// <param name="optionsJson">Null for the defaults, or a JSON object of
        /// <c>"per_type"</c> (CAM pictures per pattern type, 0-100, default 3), <c>"scale"</c>
        /// (pixels per die, 1-16, default 3), <c>"model_name"</c> and <c>"data_name"</c> (how
        /// the page names them; default <c>"model"</c>, <c>"data"</c>).</param>
        /// <returns>A summary as JSON: <c>{"out", "bytes", "samples", "exact_match", "pictures",
        /// "types", "unknown"}</c> (unknown: maps above the novelty threshold, which the page lists
        /// with their CAMs).</returns>
        /// <exception cref="ObjectDisposedException">The model or the data set was
        /// disposed.</exception>
        /// <exception cref="WdcException">InvalidArgument (an empty data set, labels that are not
        /// the model's, outDir a file), Config (optionsJson), IO, Busy.</exception>
        public string Report(Dataset data, string outDir, string optionsJson = null)
        {
            if (data == null)
                throw new ArgumentNullException("data");
            if (outDir == null)
                throw new ArgumentNullException("outDir");
            ThrowIfDisposed();
            string result;
            WdcException.Check(WdcCapi.wdc_report(_handle, data.Handle, outDir, optionsJson,
                                                  out result));
            return result;
        }

        /// <summary>Trains the model in place; it ends with the weights of its best epoch by
        /// validation exact match (accuracy, for a single-label model; without validation data,
        /// of its last epoch). A model whose config named no labels first takes the data's label
        /// names and task (<see cref="Labels"/> then returns them, even if training fails
        /// afterwards); otherwise the data's labels must be the model's.</summary>
        /// <param name="trainJson">Training options as a JSON object (docs/TRAINING.md), e.g.
        /// <c>{"data":"train.npz","val_fraction":0.1,"epochs":4}</c> or
        /// <c>{"synthetic":200,"epochs":1}</c>. <c>"init"</c>: a model file, or
        /// <c>"builtin"</c> for <see cref="LoadBuiltin"/>'s model, to fine-tune: training starts
        /// from its weights, its classifier head included only when its labels and task are this
        /// model's (the networks must share blocks and input encoding). <c>"deterministic"</c>:
        /// true gives the same weights, bit for bit (the same <c>"fingerprint"</c> in
        /// <see cref="Info"/>), on any x86-64 CPU with AVX2 and FMA and any <c>"threads"</c>;
        /// CPU only, and the process must have been started with
        /// <c>ATEN_CPU_CAPABILITY=avx2</c> and <c>OPENBLAS_CORETYPE=Haswell</c> in its
        /// environment (docs/TRAINING.md).</param>
        /// <param name="onProgress">Called on this thread after every batch and after every
        /// epoch's validation, while training is paused; return true to cancel. It should return
        /// quickly and not use this model (calls on it fail with Busy while it trains). If it
        /// throws, training is cancelled and the same exception is rethrown from Train once the
        /// library has returned.</param>
        /// <returns>The training report as JSON (per-epoch loss and validation metrics, the epoch
        /// kept, timings).</returns>
        /// <exception cref="OperationCanceledException"><paramref name="onProgress"/> returned
        /// true. The model keeps the weights of the best epoch completed before (or is unchanged
        /// if none was). Its InnerException is the library's <see
        /// cref="WdcException"/>.</exception>
        /// <exception cref="WdcException">Config (trainJson), IO, Format (data files, the
        /// <c>"init"</c> model file), InvalidArgument (the data's labels are not the model's; an
        /// <c>"init"</c> model whose network differs from this one), Busy, Runtime
        /// (data-parallel training, options <c>"world_size"</c>, <c>"rank"</c>,
        /// <c>"dist_url"</c>: the group could not be joined, or another rank stopped, within
        /// <c>"dist_timeout"</c> seconds; docs/DISTRIBUTED.md), Unsupported
        /// (<c>"deterministic"</c> on a CUDA model, a CPU without AVX2 and FMA, or a process not
        /// started with the two variables above; the message names what is missing). The model is
        /// unchanged, except that one whose config named no labels may already have taken the
        /// data's names and task, with a new, untrained classifier head.</exception>
        public string Train(string trainJson, Func<Progress, bool> onProgress = null)
        {
            if (trainJson == null)
                throw new ArgumentNullException("trainJson");
            ThrowIfDisposed();
            return RunTraining(onProgress, (WdcCapi.ProgressFn callback, out string report) =>
                WdcCapi.wdc_train(_handle, trainJson, callback, out report));
        }

        /// <summary>Trains the model in place on data sets in memory (<c>wdc_train_dataset</c>):
        /// as <see cref="Train(string, System.Func{Progress, bool})"/>, with <paramref
        /// name="data"/> in place of the options' "data"/"synthetic" and <paramref name="val"/>
        /// (or, when null,
        /// "val_fraction" of the data) in place of "val".</summary>
        /// <param name="data">The training maps.</param>
        /// <param name="val">The validation maps, or null.</param>
        /// <param name="trainJson">Training options without a data source, e.g.
        /// <c>{"epochs":4,"seed":1}</c>.</param>
        /// <param name="onProgress">As for the other overload.</param>
        /// <returns>The training report as JSON.</returns>
        /// <exception cref="OperationCanceledException">As for the other overload.</exception>
        /// <exception cref="WdcException">Config (trainJson, or a data source named in it),
        /// InvalidArgument (a data set of 0 maps, labels that are not the model's, an
        /// <c>"init"</c> model whose network differs), IO and Format (the <c>"init"</c> model
        /// file), Busy, Unsupported (<c>"deterministic"</c>, as for the other overload). The
        /// model is unchanged, except as for the other overload.</exception>
        public string Train(Dataset data, Dataset val, string trainJson,
                            Func<Progress, bool> onProgress = null)
        {
            if (data == null)
                throw new ArgumentNullException("data");
            if (trainJson == null)
                throw new ArgumentNullException("trainJson");
            ThrowIfDisposed();
            // An invalid (zero) handle is how the marshaller passes NULL for "no val".
            DatasetHandle valHandle = val == null ? new DatasetHandle() : val.Handle;
            string result = RunTraining(onProgress, (WdcCapi.ProgressFn callback, out string report) =>
                WdcCapi.wdc_train_dataset(_handle, trainJson, data.Handle, valHandle, callback,
                                          out report));
            GC.KeepAlive(data);
            GC.KeepAlive(val);
            return result;
        }

        /// <summary>k-fold cross-validation of this model's recipe (<c>wdc_cross_validate</c>):
        /// the maps of <paramref name="data"/> and <paramref name="val"/> (pooled) are cut into
        /// stratified folds, and for each fold an untrained copy of this model (its network
        /// config and run-time options) trains on the other folds and predicts the fold's maps.
        /// This model is not changed. Costs one training per fold.</summary>
        /// <param name="data">The maps to cut into folds.</param>
        /// <param name="val">More maps pooled with <paramref name="data"/>, or null.</param>
        /// <param name="optionsJson">Training options as for <see cref="Train(Dataset, Dataset,
        /// string, System.Func{Progress, bool})"/> plus <c>"folds"</c> (2 to 100, default 5),
        /// e.g. <c>{"folds":5,"epochs":40}</c>; <c>"checkpoint"</c>, <c>"resume"</c> and the
        /// data-parallel options are refused.</param>
        /// <param name="onProgress">Called after every batch of every fold (<see
        /// cref="Progress.Fold"/> says which); return true to cancel.</param>
        /// <returns>The report as JSON: <c>"summary"</c> (each metric's mean, sample standard
        /// deviation and per-fold values), <c>"out_of_fold"</c> (every map scored by the model
        /// that did not see it, in <see cref="Evaluate(string)"/>'s schema),
        /// <c>"fold_results"</c>, <c>"assignment"</c> (docs/TRAINING.md).</returns>
        /// <exception cref="OperationCanceledException"><paramref name="onProgress"/> returned
        /// true; no report.</exception>
        /// <exception cref="WdcException">Config (optionsJson), InvalidArgument (fewer maps than
        /// folds, data sets of different labels, labels that are not the model's), and the
        /// errors of training.</exception>
        public string CrossValidate(Dataset data, Dataset val, string optionsJson,
                                    Func<Progress, bool> onProgress = null)
        {
            if (data == null)
                throw new ArgumentNullException("data");
            if (optionsJson == null)
                throw new ArgumentNullException("optionsJson");
            ThrowIfDisposed();
            DatasetHandle valHandle = val == null ? new DatasetHandle() : val.Handle;
            string result = RunTraining(onProgress, (WdcCapi.ProgressFn callback, out string report) =>
                WdcCapi.wdc_cross_validate(_handle, optionsJson, data.Handle, valHandle, callback,
                                           out report));
            GC.KeepAlive(data);
            GC.KeepAlive(val);
            return result;
        }

        private delegate int TrainingCall(WdcCapi.ProgressFn callback, out string report);

        // Runs one training call with the progress relay, takes the label names the model may
        // have now, and turns the status into the result or the exception (the callback's own
        // exception first).
        private string RunTraining(Func<Progress, bool> onProgress, TrainingCall call)
        {
            ProgressRelay relay = onProgress == null ? null : new ProgressRelay(onProgress);
            // The delegate's native thunk must stay valid until the call returns: `callback` is
            // referenced after it (GC.KeepAlive), so the GC cannot collect it during it.
            WdcCapi.ProgressFn callback = relay == null ? null : new WdcCapi.ProgressFn(relay.Invoke);
            string report;
            int status = call(callback, out report);
            // Read this thread's message before anything else can call into the library.
            WdcException error = status == WdcCapi.WDC_OK ? null : WdcException.FromStatus(status);
            GC.KeepAlive(callback);
            RefreshLabels();
            if (relay != null)
                relay.RethrowIfFailed();
            if (status == WdcCapi.WDC_E_CANCELLED)
                throw new OperationCanceledException(
                    "Training was cancelled by the progress callback.", error);
            if (error != null)
                throw error;
            return report;
        }

        /// <summary>The native handle, for the calls of <see cref="MapIndex"/> with this
        /// model.</summary>
        /// <exception cref="ObjectDisposedException">The model was disposed.</exception>
        internal ModelHandle Handle
        {
            get
            {
                ThrowIfDisposed();
                return _handle;
            }
        }

        /// <summary>Frees the native model, once no call on it is in flight. Calling it again does
        /// nothing; any other member then throws <see cref="ObjectDisposedException"/>.</summary>
        public void Dispose()
        {
            _handle.Dispose();
        }

        private void ThrowIfDisposed()
        {
            if (_handle.IsClosed)
                throw new ObjectDisposedException(typeof(Model).FullName);
        }

        /// <summary>Turns wdc_train's progress callbacks into calls of the user's delegate. No
        /// exception may unwind through the library's frames (undefined behaviour in C, a process
        /// abort on .NET Core), so one is caught here, training is cancelled, and Train rethrows
        /// it after the native call has returned.</summary>
        private sealed class ProgressRelay
        {
            private readonly Func<Progress, bool> _onProgress;
            private ExceptionDispatchInfo _failure;

            public ProgressRelay(Func<Progress, bool> onProgress)
            {
                _onProgress = onProgress;
            }

            public int Invoke(int epoch, int epochs, long step, long steps, double loss,
                              double valExactMatch, int fold, int folds)
            {
                if (_failure != null)
                    return 1;
                try
                {
                    return _onProgress(new Progress(epoch, epochs, step, steps, loss,
                                                    valExactMatch, fold, folds)) ? 1 : 0;
                }
                catch (Exception e)
                {
                    _failure = ExceptionDispatchInfo.Capture(e);
                    return 1;
                }
            }

            public void RethrowIfFailed()
            {
                if (_failure != null)
                    _failure.Throw();
            }
        }
    }
}
