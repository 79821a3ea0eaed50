using System;
using Wdc.Native;

namespace Wdc
{
    /// <summary>
    /// Labelled wafer maps held by the library (a <c>wdc_dataset</c> of the C ABI): read from an
    /// npz file, generated, made from arrays, or split from another data set.
    /// </summary>
    /// <remarks>
    /// <para>The labels are MixedWM38's 8, in the order of <see cref="LabelNames"/>: 1 when the
    /// map shows the pattern, 0 when not. Maps are bytes as for <see cref="Model"/> (0 off the
    /// wafer, 1 pass, 2 fail); every map of a data set has the same size.</para>
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
        /// <summary>The labels per map of every data set: MixedWM38's 8 (wdc.h).</summary>
        private const int MixedWM38Labels = 8;

        private readonly DatasetHandle _handle;
        private readonly long _count;
        private readonly string[] _labelNames;

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

        /// <summary>Reads an npz file in MixedWM38's layout: <c>arr_0</c> the maps (N, H, W), any
        /// integer dtype, 0 off the wafer, 1 pass, 2 or more fail; <c>arr_1</c> the labels (N, 8),
        /// any integer dtype or bool, 0 or 1.</summary>
        /// <param name="path">The npz file.</param>
        /// <param name="optionsJson">Null for the defaults, or
        /// <c>{"max_file_bytes": N}</c>: the largest array read (default 2 GiB).</param>
        /// <exception cref="WdcException">InvalidArgument (path ""), IO (cannot read), Format
        /// (not an npz, arrays missing, of the wrong rank, dtype or values, or too large), Config
        /// (optionsJson), OutOfMemory.</exception>
        public static Dataset Load(string path, string optionsJson = null)
        {
            if (path == null)
                throw new ArgumentNullException("path");
            DatasetHandle handle;
            int status = WdcCapi.wdc_dataset_load(path, optionsJson, out handle);
            return Wrap(status, handle);
        }

        /// <summary>A data set of the given maps and labels, copied.</summary>
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

        /// <summary>Writes the data set as an npz file in MixedWM38's layout (<c>arr_0</c> int32
        /// (N, H, W), <c>arr_1</c> int32 (N, 8)), atomically (a temporary file renamed over
        /// <paramref name="path"/>); <see cref="Load"/> reads it back.</summary>
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

        /// <summary>The number of labels per map: 8.</summary>
        public int NumLabels
        {
            get
            {
                ThrowIfDisposed();
                return _labelNames.Length;
            }
        }

        /// <summary>The label names, in the order of the columns of <see cref="Labels"/>:
        /// MixedWM38's <c>"Center"</c>, <c>"Donut"</c>, ... (a new copy on each call).</summary>
        public string[] LabelNames
        {
            get
            {
                ThrowIfDisposed();
                return (string[])_labelNames.Clone();
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

        /// <summary>A copy of maps [first, first + count).</summary>
        /// <param name="first">The index of the first map.</param>
        /// <param name="count">The number of maps; 0 (with first in [0, <see cref="Count"/>])
        /// gives an empty [0, 0, 0] array, so that <c>Maps(0, Count)</c> works on an empty data
        /// set too.</param>
        /// <returns>[map, row, column], 0, 1 or 2 per die.</returns>
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
                MapSize(first, out height, out width);
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
        /// gives an empty [0, 8] array.</param>
        /// <returns>[map, label], 0 or 1; the columns are <see cref="LabelNames"/>.</returns>
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

        /// <summary>The data set as JSON: <c>{"count", "height", "width", "labels": [names],
        /// "types": {"C1": n, ...}, "untyped": n}</c>: the MixedWM38 pattern types present, by
        /// their id, and the number of maps whose labels form none of them.</summary>
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
        /// stratified by pattern type: of each type's n maps, round(n * val) go to validation,
        /// round(n * test) to test, the rest to train. The seed fixes the membership on every
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
