using System;
using System.Collections.Generic;
using Wdc.Native;

namespace Wdc
{
    /// <summary>
    /// Labelled wafer maps held by the library (a <c>wdc_dataset</c> of the C ABI): read from an
    /// npz file, generated, made from arrays, or split from another data set.
    /// </summary>
    /// <remarks>
    /// <para>Labels: every map has a 0/1 vector over the data set's own label names
    /// (<see cref="LabelNames"/>; MixedWM38's 8 unless the file or the creator named others): 1
    /// when the map shows the label's pattern. In a single-label data set (<see
    /// cref="SingleLabel"/>, e.g. WM-811K's 9 classes) each map has exactly one 1, its class
    /// (<see cref="Classes"/>). Maps are bytes as for <see cref="Model"/> (0 off the wafer, 1
    /// pass, 2 fail); the maps of a data set share one size or each has its own (<see
    /// cref="MixedSizes"/>, <see cref="MapSize"/>, <see cref="Map"/>).</para>
    /// <para>Threading: a data set never changes after it is made, so any number of threads may
    /// use one at once. <see cref="Dispose"/> may be called from any thread at any time: the data
    /// set is freed once the last call in flight on it (its own or a <see cref="Model"/>'s) has
    /// returned.</para>
    /// <para>Errors: as for <see cref="Model"/>: a failed call throws <see cref="WdcException"/>,
    /// null arguments <see cref="ArgumentNullException"/>, arrays of the wrong shape
    /// <see cref="ArgumentException"/>, and any call after <see cref="Dispose"/>
    /// <see cref="ObjectDisposedException"/>.</para>
    /// </remarks>
    public sealed class Dataset : IDisposable
    {
        /// <summary>The labels of a data set that names none: MixedWM38's 8 (wdc.h).</summary>
        private const int MixedWM38Labels = 8;

        private readonly DatasetHandle _handle;
        private readonly long _count;
        private readonly string[] _labelNames;
        // What Info says of the whole set, read on first use: bit 0 single-label, bit 1 mixed
        // sizes; -1 until then. A data set never changes, so racing readers store the same value.
        private int _infoFlags = -1;

        private Dataset(DatasetHandle handle)
        {
            _handle = handle;
            try
            {
                _count = WdcCapi.wdc_dataset_count(handle);
                int labels = WdcCapi.wdc_dataset_num_labels(handle);
                if (_count < 0 || labels < 0)
                    throw WdcException.FromStatus(WdcCapi.WDC_E_MISUSE);
                _labelNames = new string[labels];
                for (int i = 0; i < labels; ++i)
                {
                    _labelNames[i] = WdcCapi.wdc_dataset_label_name(handle, i);
                    if (_labelNames[i] == null)
                        throw WdcException.FromStatus(WdcCapi.WDC_E_MISUSE);
                }
            }
            catch
            {
                handle.Dispose();
                throw;
            }
        }

        /// <summary>Reads an npz file in any of the layouts of docs/DATA.md: MixedWM38's
        /// (<c>arr_0</c> the maps (N, H, W), <c>arr_1</c> the labels (N, 8)); named (<c>maps</c>
        /// (N, H, W), <c>labels</c> (N,) class indices or (N, L) 0/1, <c>label_names</c> (L,)
        /// strings, optional); or ragged, for maps of several sizes (<c>maps</c> (P,) every map's
        /// values one map after the other, <c>shapes</c> (N, 2) rows and columns, <c>labels</c>
        /// and <c>label_names</c> as named). Map values 0 off the wafer, 1 pass, 2 or more fail;
        /// any integer dtype (bool for labels, floats holding whole numbers). Class indices make a
        /// single-label data set.</summary>
        /// <param name="path">The npz file.</param>
        /// <param name="optionsJson">Null for the defaults, or
        /// <c>{"max_file_bytes": N}</c>: the largest array read (default 2 GiB).</param>
        /// <exception cref="WdcException">InvalidArgument (path ""), IO (cannot read), Format
        /// (not an npz, arrays missing, of the wrong rank, dtype or values, classes out of range,
        /// shapes that do not add up to the maps, a names count that disagrees, or an array too
        /// large), Config (optionsJson), OutOfMemory.</exception>
        public static Dataset Load(string path, string optionsJson = null)
        {
            if (path == null)
                throw new ArgumentNullException("path");
            DatasetHandle handle;
            int status = WdcCapi.wdc_dataset_load(path, optionsJson, out handle);
            return Wrap(status, handle);
        }

        /// <summary>A data set of the given maps and MixedWM38 labels, copied. For other labels,
        /// single-label classes or maps of several sizes, see
        /// <see cref="Create(IReadOnlyList{byte[,]}, int[], IReadOnlyList{string})"/> and its
        /// overloads.</summary>
        /// <param name="maps">The maps, indexed [map, row, column]; values of 2 or more are
        /// stored as 2.</param>
        /// <param name="labels">[map, label], 0 or 1, with one row per map and
        /// <see cref="NumLabels"/> (8) columns in the order of <see cref="LabelNames"/>; null for
        /// maps without labels (all stored as 0).</param>
        /// <exception cref="ArgumentException"><paramref name="labels"/> does not have one row
        /// per map and 8 columns.</exception>
        /// <exception cref="WdcException">InvalidArgument (no maps, height or width 0, a label
        /// other than 0 or 1), OutOfMemory.</exception>
        public static Dataset Create(byte[,,] maps, byte[,] labels = null)
        {
            if (maps == null)
                throw new ArgumentNullException("maps");
            int count = maps.GetLength(0), height = maps.GetLength(1), width = maps.GetLength(2);
            byte[] flatLabels = null;
            if (labels != null)
            {
                if (labels.GetLength(0) != count || labels.GetLength(1) != MixedWM38Labels)
                    throw new ArgumentException(string.Format(
                        "labels is [{0}, {1}]; {2} maps need [{2}, {3}].", labels.GetLength(0),
                        labels.GetLength(1), count, MixedWM38Labels), "labels");
                flatLabels = Buffers.Flatten(labels);
            }
            DatasetHandle handle;
            int status = WdcCapi.wdc_dataset_create(Buffers.Flatten(maps), count, height, width,
                                                    flatLabels,
                                                    flatLabels == null ? 0 : flatLabels.LongLength,
                                                    out handle);
            return Wrap(status, handle);
        }

        /// <summary>A single-label data set (one class per map, as WM-811K's) of maps of any sizes,
        /// copied.</summary>
        /// <param name="maps">The maps, each indexed [row, column] and of its own size; values of
        /// 2 or more are stored as 2.</param>
        /// <param name="classes">Per map, its class: an index into
        /// <paramref name="classNames"/>.</param>
        /// <param name="classNames">The class names (2 or more for a model to train on them), in
        /// the order of <see cref="LabelNames"/>.</param>
        /// <example><code>
        /// var maps = new List&lt;byte[,]&gt; { new byte[20, 24], new byte[31, 31] };
        /// using (Dataset data = Dataset.Create(maps, new[] { 1, 0 }, new[] { "Clean", "Full" }))
        ///     data.Save("fab.npz");   // the ragged npz layout, read back by Load
        /// </code></example>
        /// <exception cref="ArgumentNullException">maps, classes, classNames, one of the maps or
        /// one of the names is null.</exception>
        /// <exception cref="ArgumentException"><paramref name="classes"/> does not have one
        /// element per map.</exception>
        /// <exception cref="WdcException">InvalidArgument (no maps, a map with 0 rows or columns,
        /// a class outside [0, classNames.Count): the library sees a map without a class), Config
        /// (no names, an empty name), OutOfMemory.</exception>
        public static Dataset Create(IReadOnlyList<byte[,]> maps, int[] classes,
                                     IReadOnlyList<string> classNames)
        {
            if (maps == null)
                throw new ArgumentNullException("maps");
            if (classes == null)
                throw new ArgumentNullException("classes");
            if (classNames == null)
                throw new ArgumentNullException("classNames");
            if (classes.Length != maps.Count)
                throw new ArgumentException(string.Format(
                    "classes has {0} elements; {1} maps need {1}.", classes.Length, maps.Count),
                    "classes");
            string options = LabelOptions(classNames, "classNames", true);
            int names = classNames.Count;
            // One-hot rows. A class out of range leaves its row without a 1, which the library
            // rejects for a single-label set (WDC_E_INVALID_ARGUMENT, naming the map).
            var labels = new byte[(long)classes.Length * names];
            for (int i = 0; i < classes.Length; ++i)
                if (classes[i] >= 0 && classes[i] < names)
                    labels[(long)i * names + classes[i]] = 1;
            return CreateFromList(maps, labels, options);
        }

        /// <summary>A multi-label data set (any set of labels per map) of maps of any sizes and
        /// labels of any names, copied.</summary>
        /// <param name="maps">The maps, each indexed [row, column] and of its own size; values of
        /// 2 or more are stored as 2.</param>
        /// <param name="labels">[map, label], 0 or 1, one row per map and one column per name;
        /// null for maps without labels (all stored as 0).</param>
        /// <param name="labelNames">The label names, in the order of the columns; null for
        /// MixedWM38's 8.</param>
        /// <exception cref="ArgumentNullException">maps, one of its maps, or a name is
        /// null.</exception>
        /// <exception cref="ArgumentException"><paramref name="labels"/> does not have one row
        /// per map and one column per name.</exception>
        /// <exception cref="WdcException">InvalidArgument (no maps, a map with 0 rows or columns,
        /// a label other than 0 or 1), Config (no names, an empty name), OutOfMemory.</exception>
        public static Dataset Create(IReadOnlyList<byte[,]> maps, byte[,] labels,
                                     IReadOnlyList<string> labelNames)
        {
            if (maps == null)
                throw new ArgumentNullException("maps");
            string options = labelNames == null ? null : LabelOptions(labelNames, "labelNames", false);
            int columns = labelNames == null ? MixedWM38Labels : labelNames.Count;
            byte[] flatLabels = null;
            if (labels != null)
            {
                if (labels.GetLength(0) != maps.Count || labels.GetLength(1) != columns)
                    throw new ArgumentException(string.Format(
                        "labels is [{0}, {1}]; {2} maps with {3} label names need [{2}, {3}].",
                        labels.GetLength(0), labels.GetLength(1), maps.Count, columns), "labels");
                flatLabels = Buffers.Flatten(labels);
            }
            return CreateFromList(maps, flatLabels, options);
        }

        /// <summary>A data set from flat buffers, as the C function
        /// <c>wdc_dataset_create_ragged</c> takes them (and the ragged npz layout stores them),
        /// copied.</summary>
        /// <param name="maps">Every map's values, row-major, one map after the other; values of 2
        /// or more are stored as 2.</param>
        /// <param name="shapes">Per map (rows, columns): <c>shapes[2 * i]</c> and
        /// <c>shapes[2 * i + 1]</c>; the number of maps is <c>shapes.Length / 2</c>, and their
        /// sizes must add up to <c>maps.Length</c>.</param>
        /// <param name="labels">Per map a 0/1 row over the label names, map after map; null for
        /// maps without labels (not for a single-label set).</param>
        /// <param name="optionsJson">Null, or <c>{"labels": ["name", ...] (default MixedWM38's
        /// 8), "single_label": false}</c>; with <c>"single_label": true</c> each row must hold
        /// exactly one 1.</param>
        /// <exception cref="ArgumentNullException">maps or shapes is null.</exception>
        /// <exception cref="ArgumentException"><paramref name="shapes"/> has an odd
        /// length.</exception>
        /// <exception cref="WdcException">InvalidArgument (no maps, a side below 1, shapes that do
        /// not add up to the maps, labels shorter than maps x names, a label other than 0 or 1, a
        /// single-label map without exactly one label), Config (optionsJson),
        /// OutOfMemory.</exception>
        public static Dataset CreateRagged(byte[] maps, long[] shapes, byte[] labels = null,
                                           string optionsJson = null)
        {
            if (maps == null)
                throw new ArgumentNullException("maps");
            if (shapes == null)
                throw new ArgumentNullException("shapes");
            if (shapes.Length % 2 != 0)
                throw new ArgumentException(string.Format(
                    "shapes has {0} elements, not a (rows, columns) pair per map.", shapes.Length),
                    "shapes");
            // Every length passed is the array's own: the library checks that they agree.
            DatasetHandle handle;
            int status = WdcCapi.wdc_dataset_create_ragged(maps, maps.LongLength, shapes,
                                                           shapes.Length / 2, labels,
                                                           labels == null ? 0 : labels.LongLength,
                                                           optionsJson, out handle);
            return Wrap(status, handle);
        }

        // {"labels": [names], "single_label": singleLabel}.
        private static string LabelOptions(IReadOnlyList<string> names, string parameter,
                                           bool singleLabel)
        {
            for (int i = 0; i < names.Count; ++i)
                if (names[i] == null)
                    throw new ArgumentNullException(parameter,
                                                    string.Format("{0}[{1}] is null.", parameter, i));
            return "{\"labels\":" + JsonText.StringArray(names) + ",\"single_label\":" +
                   (singleLabel ? "true" : "false") + "}";
        }

        // The maps one after the other with their shapes, for wdc_dataset_create_ragged.
        private static Dataset CreateFromList(IReadOnlyList<byte[,]> maps, byte[] labels,
                                              string options)
        {
            var shapes = new long[2L * maps.Count];
            long total = 0;
            for (int i = 0; i < maps.Count; ++i)
            {
                byte[,] map = maps[i];
                if (map == null)
                    throw new ArgumentNullException("maps", string.Format("maps[{0}] is null.", i));
                shapes[2 * i] = map.GetLength(0);
                shapes[2 * i + 1] = map.GetLength(1);
                total += map.Length;
            }
            var flat = new byte[total];
            long at = 0;
            for (int i = 0; i < maps.Count; ++i)
            {
                Buffer.BlockCopy(maps[i], 0, flat, (int)at, maps[i].Length);
                at += maps[i].Length;
            }
            return CreateRagged(flat, shapes, labels, options);
        }

        /// <summary>Generates MixedWM38-like 52 x 52 maps with their labels, the 38 pattern types
        /// in the real data's proportions (as <c>wdc synth</c>).</summary>
        /// <param name="count">The number of maps, in [1, 10000000].</param>
        /// <param name="seed">The same seed gives the same maps on every platform.</param>
        /// <exception cref="WdcException">InvalidArgument (count out of range),
        /// OutOfMemory.</exception>
        public static Dataset Synthesize(long count, ulong seed)
        {
            DatasetHandle handle;
            int status = WdcCapi.wdc_dataset_synthesize(count, seed, out handle);
            return Wrap(status, handle);
        }

        private static Dataset Wrap(int status, DatasetHandle handle)
        {
            if (status != WdcCapi.WDC_OK)
            {
                WdcException error = WdcException.FromStatus(status);
                if (handle != null)
                    handle.Dispose();  // invalid (NULL): the library leaves `out` untouched
                throw error;
            }
            return new Dataset(handle);
        }

        /// <summary>Writes the data set as an npz file that <see cref="Load"/> reads back the
        /// same, atomically (a temporary file renamed over <paramref name="path"/>): MixedWM38's
        /// layout (<c>arr_0</c> int32 (N, H, W), <c>arr_1</c> int32 (N, 8)) for multi-label maps
        /// of one size with MixedWM38's labels; else the named layout (uint8 <c>maps</c>, ragged
        /// with <c>shapes</c> when the sizes differ; int32 <c>labels</c>, class indices (N,) for
        /// a single-label set; <c>label_names</c>).</summary>
        /// <param name="path">The npz file to write.</param>
        /// <param name="optionsJson">Null for the defaults, or <c>{"compressed": false}</c> to
        /// store the arrays uncompressed (default true).</param>
        /// <exception cref="WdcException">InvalidArgument (path ""), Config (optionsJson), IO,
        /// OutOfMemory.</exception>
        public void Save(string path, string optionsJson = null)
        {
            if (path == null)
                throw new ArgumentNullException("path");
            ThrowIfDisposed();
            WdcException.Check(WdcCapi.wdc_dataset_save(_handle, path, optionsJson));
        }

        /// <summary>The number of maps (0 for a part of a <see cref="Split"/> that got
        /// none).</summary>
        public long Count
        {
            get
            {
                ThrowIfDisposed();
                return _count;
            }
        }

        /// <summary>The number of labels per map (of classes, for a single-label set): 8 for
        /// MixedWM38's.</summary>
        public int NumLabels
        {
            get
            {
                ThrowIfDisposed();
                return _labelNames.Length;
            }
        }

        /// <summary>The label names (class names, for a single-label set), in the order of the
        /// columns of <see cref="Labels"/>: those the file or the creator gave, else MixedWM38's
        /// <c>"Center"</c>, <c>"Donut"</c>, ... (a new copy on each call).</summary>
        public string[] LabelNames
        {
            get
            {
                ThrowIfDisposed();
                return (string[])_labelNames.Clone();
            }
        }

        /// <summary>Whether each map has exactly one label, its class (a single-label data set,
        /// e.g. WM-811K's classes, or an npz whose labels are class indices): a model that takes
        /// its task from the data trains as a single-label classifier on it.</summary>
        /// <exception cref="WdcException">OutOfMemory.</exception>
        public bool SingleLabel
        {
            get { return (InfoFlags & 1) != 0; }
        }

        /// <summary>Whether the maps are of more than one size: then <see cref="Maps"/> reads
        /// only ranges of maps of one size, and <see cref="Map"/> reads any map.</summary>
        /// <exception cref="WdcException">OutOfMemory.</exception>
        public bool MixedSizes
        {
            get { return (InfoFlags & 2) != 0; }
        }

        private int InfoFlags
        {
            get
            {
                ThrowIfDisposed();
                int flags = _infoFlags;
                if (flags < 0)
                {
                    string info = Info;
                    flags = (JsonText.IsTrue(info, "single_label") ? 1 : 0) |
                            (JsonText.IsTrue(info, "mixed_sizes") ? 2 : 0);
                    _infoFlags = flags;
                }
                return flags;
            }
        }

        /// <summary>The size of map <paramref name="index"/>.</summary>
        /// <param name="index">In [0, <see cref="Count"/>).</param>
        /// <param name="height">Receives the map's rows.</param>
        /// <param name="width">Receives the map's columns.</param>
        /// <exception cref="WdcException">InvalidArgument (index out of range).</exception>
        public void MapSize(long index, out int height, out int width)
        {
            ThrowIfDisposed();
            long h, w;
            WdcException.Check(WdcCapi.wdc_dataset_map_size(_handle, index, out h, out w));
            height = (int)h;
            width = (int)w;
        }

        /// <summary>A copy of map <paramref name="index"/>, at its own size.</summary>
        /// <param name="index">In [0, <see cref="Count"/>).</param>
        /// <returns>[row, column], 0, 1 or 2 per die.</returns>
        /// <exception cref="WdcException">InvalidArgument (index out of range).</exception>
        public byte[,] Map(long index)
        {
            int height, width;
            MapSize(index, out height, out width);
            var flat = new byte[(long)height * width];
            WdcException.Check(WdcCapi.wdc_dataset_maps(_handle, index, 1, flat, flat.LongLength));
            var map = new byte[height, width];
            Buffer.BlockCopy(flat, 0, map, 0, flat.Length);
            return map;
        }

        /// <summary>A copy of maps [first, first + count), which must be of one size (any range
        /// is, unless <see cref="MixedSizes"/>; else read the maps one by one with
        /// <see cref="Map"/>).</summary>
        /// <param name="first">The index of the first map.</param>
        /// <param name="count">The number of maps; 0 (with first in [0, <see cref="Count"/>])
        /// gives an empty [0, 0, 0] array, so that <c>Maps(0, Count)</c> works on an empty data
        /// set too.</param>
        /// <returns>[map, row, column], 0, 1 or 2 per die.</returns>
        /// <exception cref="InvalidOperationException">The maps of the range are not all of one
        /// size.</exception>
        /// <exception cref="WdcException">InvalidArgument (the range is not inside the data
        /// set).</exception>
        public byte[,,] Maps(long first, long count)
        {
            ThrowIfDisposed();
            if (IsEmptyRange(first, count))
                return new byte[0, 0, 0];
            // Out of range, the library is passed an empty buffer and rejects the range: nothing
            // is allocated for a count the data set does not have.
            bool inside = IsInside(first, count);
            int height = 0, width = 0;
            if (inside)
            {
                MapSize(first, out height, out width);
                if (MixedSizes)
                    RequireOneSize(first, count, height, width);
            }
            byte[] flat = new byte[inside ? count * height * width : 0];
            WdcException.Check(WdcCapi.wdc_dataset_maps(_handle, first, count, flat,
                                                        flat.LongLength));
            byte[,,] maps = new byte[count, height, width];
            Buffer.BlockCopy(flat, 0, maps, 0, flat.Length);
            return maps;
        }

        /// <summary>A copy of the labels of maps [first, first + count).</summary>
        /// <param name="first">The index of the first map.</param>
        /// <param name="count">The number of maps; 0 (with first in [0, <see cref="Count"/>])
        /// gives an empty [0, <see cref="NumLabels"/>] array.</param>
        /// <returns>[map, label], 0 or 1; the columns are <see cref="LabelNames"/>. A row of a
        /// single-label set holds exactly one 1 (see <see cref="Classes"/>).</returns>
        /// <exception cref="WdcException">InvalidArgument (the range is not inside the data
        /// set).</exception>
        public byte[,] Labels(long first, long count)
        {
            ThrowIfDisposed();
            if (IsEmptyRange(first, count))
                return new byte[0, _labelNames.Length];
            byte[] flat = new byte[IsInside(first, count) ? count * _labelNames.Length : 0];
            WdcException.Check(WdcCapi.wdc_dataset_labels(_handle, first, count, flat,
                                                          flat.LongLength));
            byte[,] labels = new byte[count, _labelNames.Length];
            Buffer.BlockCopy(flat, 0, labels, 0, flat.Length);
            return labels;
        }

        /// <summary>The class of each of maps [first, first + count) of a single-label data set:
        /// the index in <see cref="LabelNames"/> of its one label.</summary>
        /// <param name="first">The index of the first map.</param>
        /// <param name="count">The number of maps; 0 (with first in [0, <see cref="Count"/>])
        /// gives an empty array.</param>
        /// <exception cref="InvalidOperationException">The data set is not single-label (see
        /// <see cref="Labels"/>).</exception>
        /// <exception cref="WdcException">InvalidArgument (the range is not inside the data
        /// set).</exception>
        public int[] Classes(long first, long count)
        {
            ThrowIfDisposed();
            if (!SingleLabel)
                throw new InvalidOperationException(
                    "Classes: the data set is multi-label (a 0/1 row per map); read Labels.");
            byte[,] labels = Labels(first, count);
            int names = labels.GetLength(1);
            var classes = new int[labels.GetLength(0)];
            for (int i = 0; i < classes.Length; ++i)
                for (int j = 0; j < names; ++j)
                    if (labels[i, j] == 1)
                        classes[i] = j;
            return classes;
        }

        // Maps [first + 1, first + count) have the size of map `first`, or InvalidOperation.
        private void RequireOneSize(long first, long count, int height, int width)
        {
            for (long i = first + 1; i < first + count; ++i)
            {
                int h, w;
                MapSize(i, out h, out w);
                if (h != height || w != width)
                    throw new InvalidOperationException(string.Format(
                        "Maps({0}, {1}): map {0} is {2} x {3} but map {4} is {5} x {6}; read maps " +
                        "of several sizes one by one with Map(index).", first, count, height,
                        width, i, h, w));
            }
        }

        private bool IsInside(long first, long count)
        {
            return first >= 0 && count >= 0 && first <= _count - count;
        }

        /// <summary>Whether [first, first + count) is an empty range at a position of the data
        /// set (the library takes only counts of 1 or more).</summary>
        internal bool IsEmptyRange(long first, long count)
        {
            return count == 0 && first >= 0 && first <= _count;
        }

        /// <summary>The data set as JSON: <c>{"count", "height", "width" (0 when the sizes
        /// differ), "mixed_sizes", "labels": [names], "single_label", "support": [maps per
        /// label]}</c>; with mixed sizes also <c>"sizes"</c> (how many distinct),
        /// <c>"min_side"</c>, <c>"max_side"</c>; for MixedWM38's labels also <c>"types": {"C1":
        /// n, ...}</c> (the pattern types present, by their id) and <c>"untyped"</c> (the maps
        /// whose labels form none of them).</summary>
        /// <exception cref="WdcException">OutOfMemory.</exception>
        public string Info
        {
            get
            {
                ThrowIfDisposed();
                string info;
                WdcException.Check(WdcCapi.wdc_dataset_info(_handle, out info));
                return info;
            }
        }

        /// <summary>Splits the data set into train, validation and test parts, shuffled and
        /// stratified by label vector (MixedWM38's pattern types; a single-label set's classes):
        /// of each group's n maps, round(n * val) go to validation, round(n * test) to test, the
        /// rest to train. The parts keep the data set's label names, task and map sizes. The seed fixes the membership on every
        /// platform; each part keeps this data set's order.</summary>
        /// <param name="optionsJson"><c>{"val": 0.1, "test": 0.1, "seed": 0}</c> (these are the
        /// defaults); null for the defaults.</param>
        /// <returns>Three new data sets (any of them may have 0 maps), which the caller
        /// disposes, e.g. by disposing the <see cref="DatasetSplit"/>.</returns>
        /// <exception cref="WdcException">Config (an unknown key, a share outside [0, 1],
        /// val + test over 1), OutOfMemory.</exception>
        public DatasetSplit Split(string optionsJson = null)
        {
            ThrowIfDisposed();
            DatasetHandle train, val, test;
            int status = WdcCapi.wdc_dataset_split(_handle, optionsJson, out train, out val,
                                                   out test);
            var handles = new[] { train, val, test };
            try
            {
                if (status != WdcCapi.WDC_OK)
                    throw WdcException.FromStatus(status);
                return new DatasetSplit(new Dataset(train), new Dataset(val), new Dataset(test));
            }
            catch
            {
                // Invalid (NULL) when the call failed; a Dataset that failed to wrap its handle
                // has disposed it already, and a second Dispose does nothing.
                foreach (DatasetHandle handle in handles)
                    if (handle != null)
                        handle.Dispose();
                throw;
            }
        }

        /// <summary>The native handle, for the calls of <see cref="Model"/> on this data
        /// set.</summary>
        /// <exception cref="ObjectDisposedException">The data set was disposed.</exception>
        internal DatasetHandle Handle
        {
            get
            {
                ThrowIfDisposed();
                return _handle;
            }
        }

        /// <summary>Frees the native data set, once no call on it is in flight. Calling it again
        /// does nothing; any other member then throws <see
        /// cref="ObjectDisposedException"/>.</summary>
        public void Dispose()
        {
            _handle.Dispose();
        }

        private void ThrowIfDisposed()
        {
            if (_handle.IsClosed)
                throw new ObjectDisposedException(typeof(Dataset).FullName);
        }
    }

    /// <summary>The three parts of <see cref="Dataset.Split"/>; disposing it disposes all
    /// three.</summary>
    public sealed class DatasetSplit : IDisposable
    {
        internal DatasetSplit(Dataset train, Dataset validation, Dataset test)
        {
            Train = train;
            Validation = validation;
            Test = test;
        }

        /// <summary>The training part.</summary>
        public Dataset Train { get; private set; }

        /// <summary>The validation part (the share <c>"val"</c>).</summary>
        public Dataset Validation { get; private set; }

        /// <summary>The test part (the share <c>"test"</c>).</summary>
        public Dataset Test { get; private set; }

        /// <summary>Disposes the three data sets. Calling it again does nothing.</summary>
        public void Dispose()
        {
            Train.Dispose();
            Validation.Dispose();
            Test.Dispose();
        }
    }
}
