/** The rooms of src/ in layers, from the bottom up (see room-layers.js). */
export declare const ROOM_LAYERS: string[][];
